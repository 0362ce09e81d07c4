/** Statements on `events` and `tasks` (the registry that routes events to jobs). */
export function eventStatements(s: string) {
  return {
    insert: `
      INSERT INTO ${s}.events (id, name, payload) VALUES ($1, $2, $3)
      ON CONFLICT (id) DO NOTHING RETURNING id`,
    get: `SELECT id, name, payload, created_at FROM ${s}.events WHERE id = $1`,
    /** The newest registered version of every job listening for an event name. */
    jobsFor: `
      SELECT DISTINCT ON (id) id, version FROM ${s}.tasks
      WHERE kind = 'job' AND event_name = $1 ORDER BY id, registered_at DESC`,
    registerTask: `
      INSERT INTO ${s}.tasks (id, version, kind, event_name, queue, concurrency_limit, rate_limit, rate_period_ms, retention_ms, keep_history_ms)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
      ON CONFLICT (id, version) DO UPDATE SET kind = excluded.kind, event_name = excluded.event_name,
        queue = excluded.queue, concurrency_limit = excluded.concurrency_limit, rate_limit = excluded.rate_limit,
        rate_period_ms = excluded.rate_period_ms, retention_ms = excluded.retention_ms, keep_history_ms = excluded.keep_history_ms, registered_at = now()`,
    latestVersion: `SELECT version FROM ${s}.tasks WHERE id = $1 ORDER BY registered_at DESC LIMIT 1`,
    listTasks: `
      SELECT DISTINCT ON (id) id, version, kind, event_name FROM ${s}.tasks ORDER BY id, registered_at DESC`,
  };
}
