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

/**
 * `runs.release`: ends one execution on its own (in a caller's transaction, or a lone write).
 * True if the run was released; false if this execution no longer held it.
 */
export async function endExecution(
  db: Database, sql: Statements, on: Queryable, args: { end: ReleaseItem; channel: string },
): Promise<boolean> {
  const { end, channel } = args;
  const { rows } = await db.query(sql.runs.release, [end.run_id, end.lease, end.status, jsonParam(end.output), jsonParam(end.error), channel], on);
  return rows.length > 0;
}
