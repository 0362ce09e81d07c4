import type { RunContext } from "../../sdk/context.ts";
import type { RunRow } from "../db/rows.ts";

/** What `ctx` tells a run's code about itself. */
export function runContextOf(row: RunRow): RunContext {
  return {
    run: { id: row.id, tags: row.tags, createdAt: row.created_at, idempotencyKey: row.idempotency_key },
    attempt: row.attempts,
    job: { id: row.task_id, version: row.task_version },
    task: { id: row.task_id, version: row.task_version },
    event: { id: row.event_id, name: row.event_name },
  };
}
