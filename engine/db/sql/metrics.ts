/** What `/metrics` reads at scrape time; everything else it shows is counted in memory. */
export function metricsStatements(s: string) {
  return {
    /**
     * Per queue (a task's own queue is `task/<id>`, as in Trigger.dev), its QUEUED runs whose start
     * has come and the age of the oldest. Delayed runs are not a backlog yet. QUEUED runs are a thin
     * slice of `runs_status_idx`, so the scrape stays cheap on a table of finished runs.
     */
    queues: `
      SELECT coalesce(queue, 'task/' || task_id) AS queue, count(*)::int AS depth,
        extract(epoch FROM now() - min(created_at))::float8 AS oldest_age_seconds
      FROM ${s}.runs
      WHERE status = 'QUEUED' AND (start_after IS NULL OR start_after <= now())
      GROUP BY 1`,
  };
}
