import type pg from "pg";
import type { PgBoss } from "pg-boss";
import { InvalidPayloadError, ScheduleNotFoundError, TaskNotFoundError } from "../../sdk/errors.ts";
import type { CreateScheduleOptions, Json, ScheduleRecord } from "../../sdk/types.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../logger.ts";
import { checkId, insertRun, prepareTrigger, type InsertDeps } from "../orchestration/insert-run.ts";
import { encode } from "../serialize.ts";
import { onClient, SCHEDULE_QUEUE, type TickJob } from "../jobs/job-sender.ts";

interface ScheduleRow {
  id: string;
  task_id: string;
  cron: string;
  timezone: string;
  payload: Json | null;
  deduplication_key: string;
  declarative: boolean;
  next_at: Date;
  created_at: Date;
  updated_at: Date;
  active: boolean;
  last_at: Date | null;
}

export interface SchedulesDeps extends InsertDeps {
  maxMetadataBytes: number;
  maxPayloadBytes: number;
}

/**
 * Cron schedules. pg-boss's own `schedule()` cannot carry them: its cron pass files at most one
 * job per 60-second slot (a per-second cron fires once a minute) and the job it forwards holds
 * only the schedule's data, not the occurrence it stands for. So each schedule is a chain of
 * ordinary pg-boss jobs, one per occurrence, using pg-boss's cron arithmetic (`previewSchedule`):
 * the job for occurrence T triggers the run (idempotency key `schedule:<id>:<T>`, so T fires once
 * whatever the number of workers) and, in the same transaction, sends the job for the next one.
 *
 * Missed ticks: after downtime, the pending job fires once for the earliest missed occurrence
 * (recorded as its `scheduledFor`), and the chain resumes at the first occurrence after now; the
 * occurrences in between are skipped, not replayed one by one.
 */
export class Schedules {
  constructor(private readonly deps: SchedulesDeps) {}

  async create(options: CreateScheduleOptions, declarative = false): Promise<ScheduleRecord> {
    const { db, sql } = this.deps;
    checkId(options.task, "task id");
    checkId(options.deduplicationKey, "deduplication key");
    if (typeof options.cron !== "string" || options.cron.trim() === "") throw new InvalidPayloadError("A schedule needs a cron expression");
    const timezone = options.timezone ?? "UTC";
    const payload = options.payload ?? null;
    encode(payload, "schedule payload", this.deps.maxPayloadBytes);
    const next = await this.#nextAfter(options.cron, timezone, new Date());
    return db.transaction(async (client) => {
      // Refused as a trigger is: a schedule for a task no engine registered would never start a run.
      if (!(await this.#latestVersion(client, options.task))) throw new TaskNotFoundError(options.task);
      const before = (await db.query<ScheduleRow>(sql.schedules.byKeyForUpdate, [options.deduplicationKey], client)).rows[0];
      // The chain keeps running when only the payload changes; a new cron, zone or task (or a chain
      // that stopped, such as one whose job was deleted) starts a new chain and ends the old one.
      const keep = before && before.cron === options.cron && before.timezone === timezone && before.task_id === options.task
        && before.next_at.getTime() > Date.now() - 60_000;
      const nextAt = keep ? before.next_at : next;
      const id = before?.id ?? newId("sched");
      const { rows } = await db.query<ScheduleRow>(
        sql.schedules.upsert, [id, options.task, options.cron, timezone, JSON.stringify(payload), options.deduplicationKey, declarative, nextAt], client,
      );
      if (!keep) await this.#sendTick(client, { scheduleId: id, at: nextAt.toISOString() });
      return toSchedule(rows[0]!);
    });
  }

  async list(filter: { task?: string } = {}): Promise<ScheduleRecord[]> {
    const { rows } = await this.deps.db.query<ScheduleRow>(this.deps.sql.schedules.list, [filter.task ?? null]);
    return rows.map(toSchedule);
  }

  /** Deleting the row is enough: the chain's next job finds no schedule and ends. */
  async delete(id: string): Promise<{ id: string }> {
    checkId(id, "schedule id");
    const { rows } = await this.deps.db.query(this.deps.sql.schedules.delete, [id]);
    if (rows.length === 0) throw new ScheduleNotFoundError(id);
    return { id };
  }

  /**
   * Pauses (`active` false) or resumes a schedule, as Trigger.dev's `schedules.deactivate` and
   * `activate`. A paused schedule's pending tick finds it paused and ends the chain; resuming
   * starts a new chain at the next occurrence after now (the occurrences while paused are not fired).
   */
  async setActive(id: string, active: boolean): Promise<ScheduleRecord> {
    const { db, sql } = this.deps;
    checkId(id, "schedule id");
    return db.transaction(async (client) => {
      const before = (await db.query<ScheduleRow>(sql.schedules.forUpdate, [id], client)).rows[0];
      if (!before) throw new ScheduleNotFoundError(id);
      if (before.active === active) return toSchedule(before);
      const next = active ? await this.#nextAfter(before.cron, before.timezone, new Date()) : null;
      const { rows } = await db.query<ScheduleRow>(sql.schedules.setActive, [id, active, next], client);
      if (next) await this.#sendTick(client, { scheduleId: id, at: next.toISOString() });
      return toSchedule(rows[0]!);
    });
  }

  /** Takes the tick jobs on a worker engine. */
  async work(boss: PgBoss, logger: Logger): Promise<string> {
    return boss.work<TickJob>(SCHEDULE_QUEUE, { pollingIntervalSeconds: 0.5, batchSize: 20 }, async (jobs) => {
      for (const job of jobs) {
        await this.fire(job.data, logger).catch((error: Error) => {
          logger.error("firing a schedule failed", { scheduleId: job.data.scheduleId, error: error.message });
          throw error;
        });
      }
    });
  }

  async fire(tick: TickJob, logger: Logger): Promise<void> {
    const { db, sql } = this.deps;
    await db.transaction(async (client) => {
      const row = (await db.query<ScheduleRow>(sql.schedules.forUpdate, [tick.scheduleId], client)).rows[0];
      const at = new Date(tick.at);
      if (!row || !row.active || row.next_at.getTime() !== at.getTime()) return;
      const version = await this.#latestVersion(client, row.task_id);
      if (version) {
        const run = prepareTrigger(
          {
            taskId: row.task_id,
            payload: { scheduleId: row.id, timestamp: at, timezone: row.timezone, payload: row.payload ?? undefined },
            options: { idempotencyKey: `schedule:${row.id}:${tick.at}` },
            scheduledFor: at,
          },
          version,
          this.deps,
        );
        await insertRun(this.deps, client, run);
      } else {
        // A task no engine registered (the schedule predates `create` checking it). Failing the job
        // cannot make it known: pg-boss would retry it every second or so, logged each time, until
        // its retry limit ends the chain for good. Skip this occurrence instead, logged once, and keep
        // the chain, so the schedule fires again once an engine registers the task.
        logger.error("a schedule's task is not registered: occurrence skipped", { scheduleId: row.id, task: row.task_id, at: tick.at });
      }
      const next = await this.#nextAfter(row.cron, row.timezone, new Date(Math.max(at.getTime(), Date.now())));
      await db.query(sql.schedules.advance, [row.id, next, version ? at : null], client);
      await this.#sendTick(client, { scheduleId: row.id, at: next.toISOString() });
    });
  }

  async #latestVersion(client: pg.PoolClient, taskId: string): Promise<string | undefined> {
    return (await this.deps.db.query<{ version: string }>(this.deps.sql.events.latestVersion, [taskId], client)).rows[0]?.version;
  }

  async #nextAfter(cron: string, timezone: string, from: Date): Promise<Date> {
    let next: Date | undefined;
    try {
      next = await this.deps.scheduler.nextOccurrence(cron, timezone, from);
    } catch (error) {
      throw new InvalidPayloadError(`Invalid schedule "${cron}" (${timezone}): ${(error as Error).message}`, undefined, { cause: error });
    }
    if (!next) throw new InvalidPayloadError(`Schedule "${cron}" has no occurrence after ${from.toISOString()}`);
    return next;
  }

  async #sendTick(client: pg.PoolClient, tick: TickJob): Promise<void> {
    await this.deps.scheduler.sendTick(onClient(client), tick);
  }
}

function toSchedule(row: ScheduleRow): ScheduleRecord {
  return {
    id: row.id,
    task: row.task_id,
    cron: row.cron,
    timezone: row.timezone,
    payload: row.payload,
    deduplicationKey: row.deduplication_key,
    declarative: row.declarative,
    active: row.active,
    nextRun: row.active ? row.next_at : null,
    lastRun: row.last_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
