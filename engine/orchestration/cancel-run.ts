import type pg from "pg";
import { onClient } from "../jobs/job-sender.ts";
import type { InsertDeps } from "./insert-run.ts";
import { wakeParent } from "./wake-parent.ts";

export const CANCELED_ERROR = { name: "CanceledError", message: "Run canceled", code: "CANCELED" };

/**
 * Cancels a run and every unfinished run below it, in one transaction. Each canceled run gets a
 * `cancel` entry in its journal. An executing one stops at its next io call: the engine running it
 * hears the cancel and runs no further step, and any write still in flight finds the lease gone.
 * A parent awaiting the canceled run is woken and sees it CANCELED. A run no execution held gets
 * a `cancel` job, which calls its `onCancel` hooks on a worker that has its code.
 */
export async function cancelRun(deps: InsertDeps, id: string): Promise<string[]> {
  return deps.db.transaction((client) => cancelRunIn(deps, client, id));
}

/** `cancelRun` inside the caller's transaction (a bulk cancel marks its item in it). */
export async function cancelRunIn(deps: InsertDeps, client: pg.PoolClient, id: string): Promise<string[]> {
  const { db, sql } = deps;
  const { rows } = await db.query<{ id: string; parent_run_id: string | null; resume_parent: boolean; was_executing: boolean }>(
    sql.runs.cancel, [id, CANCELED_ERROR, deps.channels.run], client,
  );
  const canceled = rows.map((r) => r.id);
  if (canceled.length === 0) return canceled;
  await db.query(sql.runs.announceCancel, [deps.channels.cancel, canceled], client);
  // Keyed by the run the cancel was asked for, so a cascaded cancel names its origin.
  await db.query(sql.journal.cancelMarkers, [canceled, `runs.cancel(${id})`, CANCELED_ERROR], client);
  const idle = rows.filter((r) => !r.was_executing);
  if (idle.length > 0) await deps.scheduler.sendMany(onClient(client), idle.map((r) => ({ job: { runId: r.id, reason: "cancel" as const } })));
  const root = rows.find((r) => r.id === id);
  if (root?.resume_parent && root.parent_run_id) {
    await wakeParent({ ...deps, wakeChannel: deps.channels.wake }, client, root.parent_run_id);
  }
  return canceled;
}
