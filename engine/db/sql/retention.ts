/**
 * Statements that purge finished runs (retention and `runs.purge`). A run is due once it has
 * finished longer ago than $1 ms (a purge's `olderThan`) or, when $1 is null, than its task's
 * `retention` (the newest registered version's), else $2 (the engine's). Runs are purged by tree:
 * a run without a parent that the filter picks ($3 task, $4 statuses), with every run it started
 * or that was forked from one of them, and only when every one of them is due, so no child loses
 * its parent and no kept fork loses its origin. $5 bounds `created_at` from above (a run finished
 * after it was created), so the scan walks `runs_created_idx` up to the oldest cutoff only.
 */
export function retentionStatements(s: string, boss: string, runQueue: string) {
  const due = (r: string) => `
    ${r}.status IN ('SUCCESS', 'FAILURE', 'CANCELED') AND ${r}.finished_at IS NOT NULL
    AND ${r}.finished_at < now() - make_interval(secs => coalesce($1::bigint,
      (SELECT t.retention_ms FROM ${s}.tasks t WHERE t.id = ${r}.task_id ORDER BY t.registered_at DESC LIMIT 1), $2::bigint) / 1000.0)`;
  const trees = (limit: string) => `
    roots AS (
      SELECT r.id, r.created_at FROM ${s}.runs r
      WHERE r.created_at < $5 AND r.parent_run_id IS NULL AND ${due("r")}
        AND ($3::text IS NULL OR r.task_id = $3) AND ($4::text[] IS NULL OR r.status = ANY($4))
        ${limit ? "AND ($7::timestamptz IS NULL OR (r.created_at, r.id) > ($7, $8::text))" : ""}
      ORDER BY r.created_at, r.id ${limit}
    ),
    tree AS (
      SELECT id AS root, id FROM roots
      UNION
      SELECT t.root, c.id FROM tree t CROSS JOIN LATERAL (
        SELECT id FROM ${s}.runs WHERE parent_run_id = t.id
        UNION ALL SELECT id FROM ${s}.runs WHERE forked_from = t.id) c
    ),
    whole AS (
      SELECT t.root FROM tree t JOIN ${s}.runs m ON m.id = t.id GROUP BY t.root HAVING bool_and(${due("m")})
    )`;
  return {
    /** Whether any task has a retention of its own (else, without the engine's, there is nothing to do). */
    anyTaskRetention: `SELECT min(retention_ms)::bigint AS min FROM ${s}.tasks WHERE retention_ms IS NOT NULL`,

    /** One engine at a time applies retention; the others skip their turn. */
    lock: `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`,

    /** How many runs a purge would remove. */
    count: `WITH RECURSIVE ${trees("")}
      SELECT count(DISTINCT t.id)::int AS count FROM tree t JOIN whole USING (root)`,

    /**
     * Deletes the trees of the next $6 candidate roots after ($7 created_at, $8 id) and their
     * pg-boss jobs; returns how many runs went, how many roots were looked at and the last one (to
     * go on from: trees not yet whole stay behind), its created_at as text: a Date would drop the
     * microseconds, and a batch of roots created in one transaction (one created_at) that stay
     * behind would be scanned again for ever. Runs another transaction holds (a retry, a fork) are
     * skipped with their whole tree, never waited for; a run changed since the statement's
     * snapshot (retried, so no longer finished) is locked in its new version, which the due
     * condition checks again, so it stays with its tree.
     */
    purge: `WITH RECURSIVE ${trees("LIMIT $6")},
    members AS (SELECT t.root, t.id FROM tree t JOIN whole USING (root)),
    locked AS (SELECT r.id FROM ${s}.runs r WHERE r.id IN (SELECT id FROM members) AND ${due("r")} FOR UPDATE SKIP LOCKED),
    complete AS (
      SELECT m.root FROM members m LEFT JOIN locked l ON l.id = m.id GROUP BY m.root HAVING bool_and(l.id IS NOT NULL)
    ),
    gone AS (
      DELETE FROM ${s}.runs r USING (SELECT DISTINCT m.id FROM members m JOIN complete USING (root)) d
      WHERE r.id = d.id RETURNING r.id
    ),
    jobs AS (
      DELETE FROM ${boss}.job j WHERE j.name = '${runQueue}' AND j.data ->> 'runId' IN (SELECT id FROM gone)
    )
    SELECT (SELECT count(*) FROM gone)::int AS count, (SELECT count(*) FROM roots)::int AS scanned,
      (SELECT created_at::text FROM roots ORDER BY created_at DESC, id DESC LIMIT 1) AS last_at,
      (SELECT id FROM roots ORDER BY created_at DESC, id DESC LIMIT 1) AS last_id`,
  };
}
