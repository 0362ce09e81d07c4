import type { Database, Queryable } from "../database.ts";
import type { ClaimedRow } from "../rows.ts";
import type { Statements } from "../sql/index.ts";

/** The start of one execution, as `runs.claimMany` reads it. */
export interface ClaimItem {
  run_id: string;
  lease: string;
  /** 1 when this execution is a new attempt (a start, a retry, a crash), 0 for a wake-up. */
  counts: number;
  /**
   * Whether the claim may take the run from an execution that still holds it: only a job pg-boss
   * delivers again, because the worker that held it stopped heartbeating. A job sent for an earlier
   * moment of the run (the wake-up of a wait a cancel cut short, say) finds its run executing
   * again after a retry, and taking it over would run that execution's current step twice.
   */
  takeover: boolean;
}

/**
 * `runs.claimMany`: claims these runs, one execution each. `items` must be in lock order
 * (`byRunId`, ./lock-order.ts). Returns only the runs that were claimable.
 */
export async function claimRuns(db: Database, sql: Statements, args: { items: ClaimItem[]; channel: string }): Promise<ClaimedRow[]> {
  const { rows } = await db.query<ClaimedRow>(sql.runs.claimMany, [JSON.stringify(args.items), args.channel]);
  return rows;
}

/** `runs.claimReady`: up to `max` ready runs, each claimed for one execution. */
export async function claimReadyRuns(
  db: Database, sql: Statements, on: Queryable, args: { max: number; channel: string },
): Promise<ClaimedRow[]> {
  const { rows } = await db.query<ClaimedRow>(sql.runs.claimReady, [args.max, args.channel], on);
  return rows;
}

