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

export interface PurgeDeps {
  db: Database;
  sql: Statements;
}

/** The filter as the statements' $1..$5: an age in ms, the engine's retention, task, statuses, created-at bound. */
type PurgeParams = [number | null, number | null, string | null, string[] | null, Date];

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

/** `runs.purge`: every due tree, a batch at a time, or their count on a dry run. */
export async function purgeRuns(deps: PurgeDeps, options: PurgeRunsOptions): Promise<PurgeResult> {
  if (typeof options !== "object" || options === null || options.olderThan === undefined) {
    throw new InvalidPayloadError('A purge needs olderThan: seconds, or a duration like "30d"');
  }
  const ageMs = durationMs(options.olderThan, "olderThan");
  if (options.task !== undefined) checkId(options.task, "task id");
  const params: PurgeParams = [ageMs, null, options.task ?? null, statusesOf(options.status), new Date(Date.now() - ageMs)];
  if (options.dryRun) {
    const { rows } = await deps.db.query<{ count: number }>(deps.sql.retention.count, params);
    return { count: rows[0]!.count, dryRun: true };
  }
  let count = 0;
  for (let after: PurgeCursor = [null, null]; ; ) {
    const batch = await retriedOnNewReference(() => purgeBatch(deps, params, after));
    count += batch.count;
    if (!batch.next) return { count, dryRun: false };
    after = batch.next;
  }
}

/** Where the next batch starts: the last candidate root looked at (created_at, id). */
type PurgeCursor = [string | null, string | null];

interface PurgeRow {
  count: number;
  scanned: number;
  last_at: string | null;
  last_id: string | null;
}

async function purgeBatch(deps: PurgeDeps, params: PurgeParams, after: PurgeCursor, client?: pg.PoolClient) {
  const { rows } = await deps.db.query<PurgeRow>(deps.sql.retention.purge, [...params, PURGE_BATCH, ...after], client);
  const row = rows[0]!;
  const next: PurgeCursor | undefined = row.scanned < PURGE_BATCH ? undefined : [row.last_at, row.last_id];
  return { count: row.count, next };
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

/**
 * One pass of retention (tasks' own, else `engineMs`): batches until none is left, each in a
 * transaction holding the schema's retention lock, so engines sharing a database take turns and
 * a second one skips its pass instead of racing the first. Returns the runs purged.
 */
export async function applyRetention(deps: PurgeDeps, schema: string, engineMs: number | undefined): Promise<number> {
  const { db, sql } = deps;
  const { rows } = await db.query<{ min: string | null }>(sql.retention.anyTaskRetention);
  const shortest = Math.min(engineMs ?? Infinity, rows[0]!.min === null ? Infinity : Number(rows[0]!.min));
  if (shortest === Infinity) return 0;
  const params: PurgeParams = [null, engineMs ?? null, null, null, new Date(Date.now() - shortest)];
  let purged = 0;
  for (let after: PurgeCursor = [null, null]; ; ) {
    const batch = await retriedOnNewReference(() => db.transaction(async (client) => {
      const lock = await db.query<{ locked: boolean }>(sql.retention.lock, [`durably-retention:${schema}`], client);
      return lock.rows[0]!.locked ? purgeBatch(deps, params, after, client) : undefined;
    }));
    purged += batch?.count ?? 0;
    if (!batch?.next) return purged;
    after = batch.next;
  }
}
