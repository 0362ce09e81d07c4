import type pg from "pg";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import { onClient, type JobSender } from "../jobs/job-sender.ts";

export interface WakeDeps {
  db: Database;
  sql: Statements;
  scheduler: JobSender;
  wakeChannel: string;
}

/**
 * Called in the transaction that gives an awaited child its final state: wakes the parent if it
 * is waiting and none of the children it awaits is still unfinished, so a batch of 20 wakes it
 * once. The parent's row lock orders this against the parent's own check (`Recorder.awaitRuns`)
 * and against sibling children finishing at the same moment: whichever commits last sees the
 * others, and the check after the lock is a statement of its own so that it does.
 */
export async function wakeParent(deps: WakeDeps, client: pg.PoolClient, parentRunId: string): Promise<void> {
  await deps.db.query(deps.sql.runs.lock, [parentRunId], client);
  const { rows } = await deps.db.query(deps.sql.runs.parentToWake, [parentRunId, deps.wakeChannel], client);
  if (rows.length > 0) await deps.scheduler.send(onClient(client), { runId: parentRunId, reason: "wake" });
}
