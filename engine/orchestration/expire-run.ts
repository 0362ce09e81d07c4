import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { JobSender } from "../jobs/job-sender.ts";
import { wakeParent } from "./wake-parent.ts";

export const EXPIRED_ERROR = { name: "ExpiredError", message: "The run did not start before its ttl expired", code: "EXPIRED" };

/** The expire job of a run with a ttl: cancels it (reason EXPIRED) if it has not started yet, answering its task if it did. */
export async function expireRun(
  deps: { db: Database; sql: Statements; scheduler: JobSender; notifyChannel: string; wakeChannel: string },
  runId: string,
): Promise<string | undefined> {
  return deps.db.transaction(async (client) => {
    const { rows } = await deps.db.query<{ task_id: string; parent_run_id: string | null; resume_parent: boolean }>(
      deps.sql.runs.expire, [runId, EXPIRED_ERROR, deps.notifyChannel], client,
    );
    const parent = rows[0]?.resume_parent ? rows[0].parent_run_id : null;
    if (parent) await wakeParent(deps, client, parent);
    return rows[0]?.task_id;
  });
}
