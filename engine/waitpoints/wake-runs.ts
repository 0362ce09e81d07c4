import type pg from "pg";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import { onClient, type JobSender } from "../jobs/job-sender.ts";

export interface WakeRunsDeps {
  db: Database;
  sql: Statements;
  scheduler: JobSender;
  wakeChannel: string;
}

/**
 * One wake-up job per run, in the transaction that settled the token they wait on, and a NOTIFY
 * telling workers the jobs are due (JOBS_DUE, worker/dispatcher.ts), which they then fetch first.
 */
export async function wakeRuns(deps: WakeRunsDeps, client: pg.PoolClient, runIds: string[]): Promise<void> {
  if (runIds.length === 0) return;
  await deps.scheduler.sendMany(onClient(client), runIds.map((runId) => ({ job: { runId, reason: "wake" as const } })));
  await deps.db.query(deps.sql.waitpoints.jobsDue, [deps.wakeChannel], client);
}
