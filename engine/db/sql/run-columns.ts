/**
 * The columns of `runs` a read of whole runs returns (`RunRow` in ../rows.ts), rather than `r.*`:
 * that also carried `metadata_search`, a second copy of every finished run's metadata for the
 * filters' index, and the audit chain's head, which no run read uses; node-postgres parsed both
 * for every run read, listed or claimed. A column a migration adds is listed here to be read
 * (test/run-columns.test.ts names the columns left out).
 */
export const RUN_COLUMNS = [
  "id", "task_id", "task_version", "event_id", "parent_run_id", "payload", "status", "output", "error", "metadata", "tags",
  "idempotency_key", "attempts", "lease", "revision", "created_at", "started_at", "finished_at", "updated_at", "resume_parent",
  "idempotency_key_expires_at", "expires_at", "queue", "concurrency_key", "concurrency_limit", "forked_from", "scheduled_for",
  "ready_at", "heartbeat_at", "max_duration_ms", "executed_ms", "priority", "rate_limit", "rate_period_ms", "wait_token",
  "wait_seq", "wait_started_at", "debounce_key", "start_after", "trace_context", "audit_origin", "queue_ready_at",
] as const;

/** The columns a run read leaves out, and why: see RUN_COLUMNS. */
export const RUN_COLUMNS_LEFT_OUT = ["metadata_search", "audit_hash"] as const;

/** `RUN_COLUMNS` of the runs row `alias`, for a select list or a RETURNING. */
export const runColumns = (alias: string) => RUN_COLUMNS.map((column) => `${alias}.${column}`).join(", ");

/** The runs row `alias` as one JSON object of `RUN_COLUMNS`. */
export const runJson = (alias: string) => `(to_jsonb(${alias}) - '{${RUN_COLUMNS_LEFT_OUT.join(",")}}'::text[])`;
