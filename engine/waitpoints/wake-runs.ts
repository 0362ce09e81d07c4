import type pg from "pg";
import { onClient, type JobSender } from "../jobs/job-sender.ts";

/** One wake-up job per run, in the transaction that settled the token they wait on. */
export async function wakeRuns(scheduler: JobSender, client: pg.PoolClient, runIds: string[]): Promise<void> {
  await scheduler.sendMany(onClient(client), runIds.map((runId) => ({ job: { runId, reason: "wake" as const } })));
}
