import type { RunStatus } from "../../sdk/types.ts";
import type { Committed } from "./committed.ts";

/**
 * Runs this process has just ended, with the final status their end committed, for the callers
 * here waiting for them (`runs.poll`): an app that embeds the engine hears its runs' ends as the
 * ending statement returns, not a NOTIFY round trip later. Published only once the end has committed.
 */
export type CommittedEnds = Committed<RunStatus>;
