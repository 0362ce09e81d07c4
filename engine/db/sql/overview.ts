/** Statements behind the dashboard's Tasks page and its search box. */
export function overviewStatements(s: string) {
  return {
    /**
     * Every task with the versions registered (newest first), its latest version's queue, and its
     * runs created since `$1`: how many are in each status, p50/p95 of the finished ones'
     * durations (ms), and how many were created in each of 12 equal buckets from `$1` to now.
     */
    tasks: `
      WITH latest AS (
        SELECT DISTINCT ON (id) id, kind, event_name, queue, concurrency_limit, rate_limit, rate_period_ms FROM ${s}.tasks
        ORDER BY id, registered_at DESC
      ), versions AS (
        SELECT id, array_agg(version ORDER BY registered_at DESC) AS versions FROM ${s}.tasks GROUP BY id
      ), recent AS (
        SELECT task_id, status, created_at, extract(epoch FROM finished_at - started_at) * 1000 AS duration_ms
        FROM ${s}.runs WHERE created_at >= $1
      )
      SELECT l.id, l.kind, l.event_name, l.queue, l.concurrency_limit, l.rate_limit, l.rate_period_ms, v.versions,
        (SELECT count(*)::int FROM ${s}.runs o WHERE l.rate_limit IS NOT NULL AND o.queue = l.queue AND o.rate_limit IS NOT NULL
           AND o.started_at > now() - make_interval(secs => l.rate_period_ms / 1000.0)) AS started_in_period,
        (SELECT count(*)::int FROM ${s}.runs o WHERE o.task_id = l.id AND o.status = 'QUEUED') AS queued,
        (SELECT max(o.priority) FROM ${s}.runs o WHERE o.task_id = l.id AND o.status = 'QUEUED' AND o.priority > 0) AS top_priority,
        (SELECT coalesce(json_object_agg(status, n), '{}') FROM (SELECT status, count(*)::int AS n FROM recent r WHERE r.task_id = l.id GROUP BY status) c) AS counts,
        (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) FROM recent r WHERE r.task_id = l.id AND duration_ms IS NOT NULL) AS p50_ms,
        (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FROM recent r WHERE r.task_id = l.id AND duration_ms IS NOT NULL) AS p95_ms,
        (SELECT array_agg(coalesce(x.n, 0) ORDER BY b) FROM generate_series(0, 11) b
           LEFT JOIN (
             SELECT least(11, floor(extract(epoch FROM r.created_at - $1) / (extract(epoch FROM now() - $1) / 12)))::int AS bucket, count(*)::int AS n
             FROM recent r WHERE r.task_id = l.id GROUP BY 1
           ) x ON x.bucket = b) AS buckets
      FROM latest l JOIN versions v USING (id) ORDER BY l.id`,
    /**
     * Runs whose id or idempotency key is `$1`, newest first. The key is looked up per task, so the
     * (task_id, idempotency_key) index answers it without reading the whole table.
     */
    runsMatching: `
      SELECT id FROM (
        SELECT id, created_at FROM ${s}.runs WHERE id = $1
        UNION
        SELECT id, created_at FROM ${s}.runs
        WHERE task_id IN (SELECT DISTINCT id FROM ${s}.tasks) AND idempotency_key = $1
      ) found ORDER BY created_at DESC LIMIT 20`,
  };
}
