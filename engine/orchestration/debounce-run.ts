import type pg from "pg";
import { insertRun, type Debounce, type InsertDeps, type PendingJob, type RunInsert } from "./insert-run.ts";

/**
 * Triggers a debounced run (Trigger.dev 4.3's `debounce`): while a run of the task with this key
 * has not started, the trigger pushes its start back to `delay` from now and returns it (with the
 * new payload if trailing); otherwise it inserts a run that starts after `delay`. The key's
 * advisory lock makes triggers with one key, in any process, take their turns, so that two of
 * them never both insert.
 */
export async function debounceRun(
  deps: InsertDeps, client: pg.PoolClient, run: RunInsert & { debounce: Debounce }, jobs: PendingJob[],
): Promise<{ id: string; isCached: boolean }> {
  const { db, sql } = deps;
  const { key, delayMs, trailing } = run.debounce;
  await db.query(sql.runs.queueLock, [`${deps.channels.run}:debounce:${run.taskId}:${key}`], client);
  const pushed = await db.query<{ id: string }>(
    sql.runs.debounce, [run.taskId, key, delayMs, trailing ? run.payload : null, deps.channels.run], client,
  );
  if (pushed.rows[0]) return { id: pushed.rows[0].id, isCached: true };
  const inserted = await insertRun(deps, client, run, jobs);
  if (!inserted.isCached) await db.query(sql.runs.markDebounced, [inserted.id, key, run.startAfter], client);
  return inserted;
}
