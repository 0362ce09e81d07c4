import type pg from "pg";
import { InvalidPayloadError } from "../../sdk/errors.ts";
import type { PurgeResult, PurgeRunsOptions } from "../../sdk/types.ts";
import { durationMs } from "../../sdk/retention.ts";
import { FINAL_RUN_STATUSES, type FinalRunStatus } from "../../sdk/types.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import { checkId } from "../orchestration/insert-run.ts";

/**
 * Trees of runs deleted per statement: each statement is its own short transaction, so a purge
 * never holds many row locks for long, and the engine's writes (which never touch finished runs)
 * go on meanwhile.
 */
export const PURGE_BATCH = 500;

/**
 * Between two batches a purge rests as long as the last one took, so it keeps at most half of a
 * core busy: batches back to back (13,000 runs/s) took the throughput row beside them down 24% on
 * a 2-core machine (docs/benchmarks.md, purge-under-load).
 */
function rest(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, (performance.now() - started) / 1000];
}

export interface PurgeDeps {
  db: Database;
  sql: Statements;
}

/**
 * The filter as the purge statement's $1..$5: an age in ms, the engine's retention, task,
 * statuses, created-at bound; and its $9, how long to keep the purged runs' history when their
 * task says nothing.
 */
interface PurgeFilter {
  params: [number | null, number | null, string | null, string[] | null, Date];
  keepHistoryMs: number | null;
}

/** Rows one batch deleted, by table. */
export type PurgedRows = Partial<Record<"runs" | "journal" | "run_metadata_history" | "kept_histories", number>>;

/** What the retention loop reports as it goes (the purge metrics). */
export interface PurgeProgress {
  /** A pass starts with about this many due runs without a parent (their children go with them). */
  passStarted(backlog: number): void;
  /** A batch committed: the trees' roots and every row it deleted, and how long it took. */
  batchDone(batch: { roots: number; rows: PurgedRows; seconds: number }): void;
  /** The pass went through every due run: what stays waits for a child or a fork. */
  passDone(): void;
}

function statusesOf(status: PurgeRunsOptions["status"]): FinalRunStatus[] | null {
  if (status === undefined) return null;
  const list = Array.isArray(status) ? status : [status];
  for (const s of list) {
    if (!(FINAL_RUN_STATUSES as readonly string[]).includes(s)) {
      throw new InvalidPayloadError(`Cannot purge runs by status "${s}": only finished runs are purged (${FINAL_RUN_STATUSES.join(", ")})`);
    }
  }
  return list;
}

/**
 * `runs.purge`: every due tree, a batch at a time, or their count on a dry run. The purged runs'
 * history stays as long as their task's `keepStatusHistory`, else the purge's, else `engineKeepMs`.
 */
export async function purgeRuns(deps: PurgeDeps, options: PurgeRunsOptions, engineKeepMs?: number): Promise<PurgeResult> {
  if (typeof options !== "object" || options === null || options.olderThan === undefined) {
    throw new InvalidPayloadError('A purge needs olderThan: seconds, or a duration like "30d"');
  }
  const ageMs = durationMs(options.olderThan, "olderThan");
  const keepMs = options.keepStatusHistory === undefined ? engineKeepMs : durationMs(options.keepStatusHistory, "keepStatusHistory");
  if (options.task !== undefined) checkId(options.task, "task id");
  const filter: PurgeFilter = {
    params: [ageMs, null, options.task ?? null, statusesOf(options.status), new Date(Date.now() - ageMs)],
    keepHistoryMs: keepMs ?? null,
  };
  if (options.dryRun) {
    const [row] = await withoutJit<{ count: number }>(deps, deps.sql.retention.count, filter.params);
    return { count: row!.count, dryRun: true };
  }
  let count = 0;
  for (let after: PurgeCursor = [null, null]; ; ) {
    const [batch, seconds] = await timed(() => retriedOnNewReference(() => deps.db.transaction((client) => purgeBatch(deps, filter, after, client))));
    count += batch.count;
    if (!batch.next) return { count, dryRun: false };
    after = batch.next;
    await rest(seconds);
  }
}

/**
 * `statement` alone in a transaction without JIT (`noJit`): the count of a dry run walks the same
 * trees as a purge, and the backlog reads every due run, both costly enough in the planner's eyes
 * that PostgreSQL compiled them at every call.
 */
async function withoutJit<R extends pg.QueryResultRow>(deps: PurgeDeps, statement: string, params: unknown[]): Promise<R[]> {
  return deps.db.transaction(async (client) => {
    await deps.db.query(deps.sql.retention.noJit, [], client);
    return (await deps.db.query<R>(statement, params, client)).rows;
  });
}

/** Where the next batch starts: the last candidate root looked at (created_at, id). */
type PurgeCursor = [string | null, string | null];

interface PurgeRow {
  count: number;
  roots: number;
  scanned: number;
  journal: number;
  run_metadata_history: number;
  last_at: string | null;
  last_id: string | null;
}

/** One batch, in the caller's transaction (its setting for JIT ends with it). */
async function purgeBatch(deps: PurgeDeps, filter: PurgeFilter, after: PurgeCursor, client: pg.PoolClient) {
  await deps.db.query(deps.sql.retention.noJit, [], client);
  const { rows } = await deps.db.query<PurgeRow>(deps.sql.retention.purge, [...filter.params, PURGE_BATCH, ...after, filter.keepHistoryMs], client);
  const row = rows[0]!;
  const next: PurgeCursor | undefined = row.scanned < PURGE_BATCH ? undefined : [row.last_at, row.last_id];
  const deleted: PurgedRows = { runs: row.count, journal: row.journal, run_metadata_history: row.run_metadata_history };
  return { count: row.count, roots: row.roots, deleted, next };
}

const FOREIGN_KEY_VIOLATION = "23503";
const BATCH_ATTEMPTS = 3;

/**
 * Runs a batch again when it failed on a foreign key: a run referencing one the batch deletes (a
 * fork of it, made meanwhile) committed after the batch's snapshot, so the tree the batch computed
 * missed it. The next attempt's snapshot sees it, and its origin stays with it.
 */
async function retriedOnNewReference<T>(batch: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await batch();
    } catch (error) {
      if (attempt === BATCH_ATTEMPTS || (error as { code?: unknown }).code !== FOREIGN_KEY_VIOLATION) throw error;
    }
  }
}

/** The engine's `retention`, resolved. */
export interface EngineRetention {
  runsMs: number | undefined;
  keepHistoryMs: number | undefined;
}

/**
 * One pass of retention (tasks' own, else the engine's): kept histories whose time has come, then
 * due runs in batches, each in a transaction holding the schema's retention lock, so engines
 * sharing a database take turns and a second one skips its pass instead of racing the first.
 * Returns the runs purged.
 */
export async function applyRetention(deps: PurgeDeps, schema: string, engine: EngineRetention, progress?: PurgeProgress): Promise<number> {
  const { db, sql } = deps;
  for (;;) {
    const [expired, seconds] = await timed(() => db.query<Required<PurgedRows>>(sql.retention.expireKept, [PURGE_BATCH]));
    const rows = expired.rows[0]!;
    if (rows.kept_histories > 0) progress?.batchDone({ roots: 0, rows, seconds });
    if (rows.kept_histories < PURGE_BATCH) break;
  }
  const { rows } = await db.query<{ min: string | null }>(sql.retention.anyTaskRetention);
  const shortest = Math.min(engine.runsMs ?? Infinity, rows[0]!.min === null ? Infinity : Number(rows[0]!.min));
  if (shortest === Infinity) return 0;
  const bound = new Date(Date.now() - shortest);
  const filter: PurgeFilter = { params: [null, engine.runsMs ?? null, null, null, bound], keepHistoryMs: engine.keepHistoryMs ?? null };
  if (progress) progress.passStarted((await withoutJit<{ roots: number }>(deps, sql.retention.backlog, [engine.runsMs ?? null, bound]))[0]!.roots);
  let purged = 0;
  for (let after: PurgeCursor = [null, null]; ; ) {
    const [batch, seconds] = await timed(() => retriedOnNewReference(() => db.transaction(async (client) => {
      const lock = await db.query<{ locked: boolean }>(sql.retention.lock, [`durably-retention:${schema}`], client);
      return lock.rows[0]!.locked ? purgeBatch(deps, filter, after, client) : undefined;
    })));
    if (batch) progress?.batchDone({ roots: batch.roots, rows: batch.deleted, seconds });
    purged += batch?.count ?? 0;
    if (!batch?.next) {
      if (batch) progress?.passDone();
      return purged;
    }
    after = batch.next;
    await rest(seconds);
  }
}
