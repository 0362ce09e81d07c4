import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { TriggerRequest } from "../../sdk/backend.ts";
import { InvalidPayloadError } from "../../sdk/errors.ts";
import { maxDurationMs } from "../../sdk/max-duration.ts";
import type { Metadata, TriggerOptions } from "../../sdk/types.ts";
import type { Database } from "../db/database.ts";
import { insertRunRow, type InsertRunRow } from "../db/hot-path/insert-run.ts";
import { claimedFromJson } from "../db/hot-path/write-journal.ts";
import type { ClaimedRow } from "../db/rows.ts";
import type { Statements } from "../db/sql/index.ts";
import { parseDelay } from "../delay.ts";
import { newId } from "../ids.ts";
import { onClient, type JobSender, type RunJob } from "../jobs/job-sender.ts";

export interface PendingJob {
  job: RunJob;
  startAfter: Date | undefined;
}
import { checkMetadata, encode, hasLoneSurrogate, type Stored } from "../serialize.ts";
import type { Channels } from "../notify/listener.ts";
import type { RunAnnouncements } from "./announce-runs.ts";

const MAX_TAGS = 10;
export const MAX_ID_LENGTH = 256;
/** A year: a head start on every run that became ready in the last year is as strict as any larger one. */
export const MAX_PRIORITY = 31_536_000;
const MAX_DEBOUNCE_DELAY_MS = 86_400_000;

export interface InsertDeps {
  db: Database;
  sql: Statements;
  scheduler: JobSender;
  channels: Channels;
  /** This process's worker, which starts runs it triggers itself while it has free slots. */
  localStarts?: LocalStarts;
}

/**
 * A worker in the triggering process: a run it has a free slot and the code for is inserted
 * already executing under a lease of its own (see `runs.insertReady`), which saves a claim's
 * round trip and the wait for a notification.
 */
export interface LocalStarts {
  /** The tasks this process has code for. */
  readonly taskIds: ReadonlySet<string>;
  /** Takes up to `count` free slots for runs about to be written executing here; how many it took. */
  reserve(count: number): number;
  /**
   * `reserved` slots were taken; `rows` are the runs written executing under them, to start once
   * committed. `othersReady`: runs this process did not take were committed ready, for any worker.
   */
  started(reserved: number, rows: ClaimedRow[], othersReady: boolean): void;
}

/** A trigger's `debounce`, validated: its key, its delay, and whether the last trigger's payload wins. */
export interface Debounce {
  key: string;
  delayMs: number;
  trailing: boolean;
}

/** A run ready to insert: validated and serialized, so a batch fails before writing anything. */
export interface RunInsert extends Omit<InsertRunRow, "id" | "payload" | "metadata" | "delayed"> {
  payload: Stored;
  metadata: Metadata;
  startAfter: Date | undefined;
  /** Set for a debounced trigger, which `debounceRun` inserts (or folds into the run it pushes back). */
  debounce?: Debounce | undefined;
}

export function prepareTrigger(
  request: TriggerRequest,
  version: string,
  limits: { maxMetadataBytes: number; maxPayloadBytes: number },
): RunInsert {
  checkId(request.taskId, "task id");
  const options = request.options ?? {};
  if (options.idempotencyKey !== undefined) checkId(options.idempotencyKey, "idempotency key");
  if (options.concurrencyKey !== undefined) checkId(options.concurrencyKey, "concurrency key");
  const debounce = parseDebounce(options.debounce);
  if (debounce && options.delay !== undefined) throw new InvalidPayloadError("debounce has a delay of its own: pass delay or debounce, not both");
  return {
    taskId: request.taskId,
    version,
    eventId: null,
    parentRunId: request.parentRunId ?? null,
    payload: encode(request.payload, "payload", limits.maxPayloadBytes),
    metadata: checkMetadata(options.metadata ?? {}, limits.maxMetadataBytes),
    tags: normalizeTags(options.tags),
    idempotencyKey: options.idempotencyKey ?? null,
    idempotencyKeyExpiresAt: parseDuration(options.idempotencyKeyTTL, "idempotencyKeyTTL"),
    expiresAt: parseDuration(options.ttl, "ttl"),
    resumeParent: request.resumeParent === true,
    queue: request.queue ?? null,
    concurrencyKey: options.concurrencyKey ?? null,
    forkedFrom: null,
    scheduledFor: request.scheduledFor ?? null,
    startAfter: debounce ? new Date(Date.now() + debounce.delayMs) : parseDelay(options.delay),
    ...(debounce ? { debounce } : {}),
    maxDurationMs: maxDurationMs(options.maxDuration),
    priority: checkPriority(options.priority),
    traceContext: request.traceContext ?? null,
  };
}

/**
 * Inserts the run on the caller's transaction, with its start job unless it is ready at once (and
 * its expire job, for a ttl).
 * A live idempotency key returns the run that holds it; an expired one is taken from that run.
 */
export async function insertRun(
  deps: InsertDeps,
  client: pg.PoolClient,
  run: RunInsert,
  /** Collects the jobs instead of sending them, so a batch sends them all in one statement. */
  jobs?: PendingJob[],
): Promise<{ id: string; isCached: boolean }> {
  const { db, sql } = deps;
  const id = newId("run");
  const row: InsertRunRow = { ...run, id, delayed: run.startAfter !== undefined };
  const insert = () => insertRunRow(db, sql, client, { run: row, channels: deps.channels });
  let inserted = await insert();
  if (!inserted) {
    const holder = await db.query<{ id: string; expired: boolean }>(sql.runs.findByIdempotencyKey, [run.taskId, run.idempotencyKey], client);
    const existing = holder.rows[0]!;
    if (!existing.expired) return { id: existing.id, isCached: true };
    await db.query(sql.runs.clearIdempotencyKey, [existing.id], client);
    inserted = await insert();
    if (!inserted) {
      // Another trigger took the expired key first: its run is the one for this key now.
      const taken = await db.query<{ id: string }>(sql.runs.findByIdempotencyKey, [run.taskId, run.idempotencyKey], client);
      return { id: taken.rows[0]!.id, isCached: true };
    }
  }
  const pending = jobsFor(id, run, inserted.ready);
  if (jobs) jobs.push(...pending);
  else await deps.scheduler.sendMany(onClient(client), pending);
  return { id, isCached: false };
}

/**
 * Inserts runs without an idempotency key in one statement, collecting their jobs: a burst of
 * triggers costs one round trip, not one per run.
 */
export async function insertRunsWithoutKeys(deps: InsertDeps, client: pg.PoolClient, runs: RunInsert[], jobs: PendingJob[]): Promise<string[]> {
  if (runs.length === 0) return [];
  const rows = insertRows(runs);
  const inserted = await deps.db.query<{ id: string; ready: boolean }>(deps.sql.runs.insertMany, [JSON.stringify(rows), deps.channels.run, deps.channels.wake], client);
  const ready = new Set(inserted.rows.filter((r) => r.ready).map((r) => r.id));
  runs.forEach((run, i) => jobs.push(...jobsFor(rows[i]!.id, run, ready.has(rows[i]!.id))));
  return rows.map((r) => r.id);
}

/**
 * Runs that need no job (ready at once, no ttl, no idempotency key) in one statement that commits
 * on its own: a burst of plain triggers costs one round trip, and those this process's worker can
 * take start executing in it (`LocalStarts`). Undefined, with nothing inserted, when some run turns
 * out to need a job after all (its task has a concurrency limit).
 */
export async function insertReadyRuns(deps: InsertDeps, runs: RunInsert[], announcements: RunAnnouncements): Promise<string[] | undefined> {
  if (!runs.every(needsNoJob)) return undefined;
  const local = deps.localStarts;
  const mine = runs.map((run) => local?.taskIds.has(run.taskId) === true);
  const reserved = local?.reserve(mine.filter(Boolean).length) ?? 0;
  let slots = reserved;
  const here = mine.map((yes) => yes && slots-- > 0);
  const rows = insertRows(runs).map((row, i) => ({ ...row, lease: here[i] ? randomUUID() : null }));
  let inserted: { id: string; revision: string; started: Record<string, unknown> | null }[];
  try {
    inserted = (await deps.db.query<(typeof inserted)[number]>(deps.sql.runs.insertReady, [JSON.stringify(rows)])).rows;
  } catch (error) {
    deps.localStarts?.started(reserved, [], false);
    throw error;
  }
  // Whatever was inserted executing starts, and every slot reserved for the rest is freed.
  const othersReady = inserted.some((run) => run.started === null);
  deps.localStarts?.started(reserved, inserted.flatMap((run) => (run.started ? [claimedFromJson(run.started)] : [])), othersReady);
  if (inserted.length === 0) return undefined;
  if (inserted.length !== rows.length) throw new Error(`inserted ${inserted.length} of ${rows.length} runs`);
  announcements.announce(inserted, othersReady);
  return rows.map((r) => r.id);
}

function needsNoJob(run: RunInsert): boolean {
  return run.idempotencyKey === null && run.startAfter === undefined && run.expiresAt === null && run.queue === null;
}

/** The records `runs.insertMany` reads, each with a new run id. */
function insertRows(runs: RunInsert[]) {
  return runs.map((run, ord) => ({
    id: newId("run"), task_id: run.taskId, task_version: run.version, event_id: run.eventId, parent_run_id: run.parentRunId,
    payload: run.payload, metadata: run.metadata, tags: run.tags, resume_parent: run.resumeParent, expires_at: run.expiresAt,
    queue: run.queue?.name ?? null, concurrency_limit: run.queue?.concurrencyLimit ?? null, concurrency_key: run.concurrencyKey,
    rate_limit: run.queue?.rateLimit?.limit ?? null, rate_period_ms: run.queue?.rateLimit?.periodMs ?? null,
    forked_from: run.forkedFrom, scheduled_for: run.scheduledFor, delayed: run.startAfter !== undefined,
    max_duration_ms: run.maxDurationMs, priority: run.priority, ord, trace_context: run.traceContext,
  }));
}

/** A run ready at once is claimed straight from `runs`; any other starts through its job. */
function jobsFor(runId: string, run: RunInsert, ready: boolean): PendingJob[] {
  const jobs: PendingJob[] = ready ? [] : [{ job: { runId, reason: "start" }, startAfter: run.startAfter }];
  if (run.expiresAt) jobs.push({ job: { runId, reason: "expire" }, startAfter: run.expiresAt });
  return jobs;
}

/** A ttl: seconds or a duration string such as "10m", counted from now. */
function parseDuration(value: number | string | undefined, what: string): Date | null {
  if (value === undefined) return null;
  if (typeof value !== "number" && typeof value !== "string") throw new InvalidPayloadError(`${what} must be seconds or a duration like "10m"`);
  return parseDelay(value) ?? null;
}

/** `{ key, delay, mode }`: delay in seconds or a duration such as "5s"; mode "leading" (the default) or "trailing". */
function parseDebounce(value: TriggerOptions["debounce"]): Debounce | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) throw new InvalidPayloadError("debounce must be { key, delay, mode? }");
  checkId(value.key, "debounce key");
  const mode = value.mode ?? "leading";
  if (mode !== "leading" && mode !== "trailing") throw new InvalidPayloadError('debounce.mode must be "leading" or "trailing"');
  const now = Date.now();
  let delay: Date | undefined;
  try {
    delay = typeof value.delay === "number" || typeof value.delay === "string" ? parseDelay(value.delay, now) : undefined;
  } catch {
    // Said below, naming debounce.delay rather than a trigger's delay.
  }
  const delayMs = delay ? delay.getTime() - now : 0;
  if (!(delayMs > 0 && delayMs <= MAX_DEBOUNCE_DELAY_MS)) throw new InvalidPayloadError('debounce.delay must be positive seconds or a duration like "5s", at most a day');
  return { key: value.key, delayMs, trailing: mode === "trailing" };
}

/** Seconds, as in Trigger.dev; whole ones, since claims order runs by ready time to the second's fraction anyway. */
export function checkPriority(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_PRIORITY) {
    throw new InvalidPayloadError(`priority must be a whole number of seconds from 0 to ${MAX_PRIORITY}`);
  }
  return value;
}

export function checkId(value: unknown, what: string): void {
  // A lone surrogate would reach Postgres text as U+FFFD: another id than the caller sent.
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH || value.includes("\u0000") || hasLoneSurrogate(value)) {
    throw new InvalidPayloadError(`Invalid ${what}: expected a non-empty string of valid Unicode, at most ${MAX_ID_LENGTH} characters`);
  }
}

export function normalizeTags(tags: string | string[] | undefined): string[] {
  const list = tags === undefined ? [] : Array.isArray(tags) ? tags : [tags];
  if (list.length > MAX_TAGS) throw new InvalidPayloadError(`At most ${MAX_TAGS} tags per run, got ${list.length}`);
  for (const tag of list) checkId(tag, "tag");
  return [...new Set(list)];
}
