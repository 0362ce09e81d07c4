import type { Database, Queryable } from "../database.ts";
import type { Statements } from "../sql/index.ts";
import { jsonParam } from "./json-param.ts";

/** The end of one execution: a final state, or back to the queue. */
export interface ReleaseItem {
  run_id: string;
  lease: string;
  status: string;
  output: unknown;
  error: unknown;
}

/** A released execution: `run` is the finished run as JSON when the end was `awaited` (see `endedRun` in sql/runs.ts), else null. */
export interface Released {
  run: Record<string, unknown> | null;
}

/**
 * `runs.release`: ends one execution on its own (in a caller's transaction, or a lone write).
 * Undefined if this execution no longer held the run. `awaited`: a caller here waits for its end.
 */
export async function endExecution(
  db: Database, sql: Statements, on: Queryable, args: { end: ReleaseItem; channel: string; awaited: boolean },
): Promise<Released | undefined> {
  const { end, channel, awaited } = args;
  const { rows } = await db.query<Released>(
    sql.runs.release, [end.run_id, end.lease, end.status, jsonParam(end.output), jsonParam(end.error), channel, awaited], on);
  return rows[0];
}
