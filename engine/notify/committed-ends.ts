import type { Run, RunStatus } from "../../sdk/types.ts";
import type { Committed } from "./committed.ts";

/**
 * A run's end as its statement committed it: the final status, and the finished run when a caller
 * here waited for that end as the statement was sent (`Committed.follows`), which the statement
 * returned for it (`endedRun` in db/sql/runs.ts) so that the caller reads nothing after it. No
 * status: the worker here let go of the run (`HeldRuns`), and a waiter reads what became of it.
 */
export interface CommittedEnd {
  status?: RunStatus;
  run?: Run | undefined;
}

/**
 * Runs this process has just ended, for the callers here waiting for them (`runs.poll`): an app
 * that embeds the engine hears its runs' ends as the ending statement returns, not a NOTIFY round
 * trip later. Published only once the end has committed.
 */
export type CommittedEnds = Committed<CommittedEnd>;
