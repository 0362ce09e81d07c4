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
  const due = (r: string, age = "$1::bigint", engine = "$2::bigint") => `
    ${r}.status IN ('SUCCESS', 'FAILURE', 'CANCELED') AND ${r}.finished_at IS NOT NULL
    AND ${r}.finished_at < now() - make_interval(secs => coalesce(${age},
      (SELECT t.retention_ms FROM ${s}.tasks t WHERE t.id = ${r}.task_id ORDER BY t.registered_at DESC LIMIT 1), ${engine}) / 1000.0)`;
  const trees = (limit: string) => `
    roots AS (
      SELECT r.id, r.created_at FROM ${s}.runs r
      WHERE r.created_at < $5 AND r.parent_run_id IS NULL AND ${due("r")}
        AND ($3::text IS NULL OR r.task_id = $3) AND ($4::text[] IS NULL OR r.status = ANY($4))
        ${limit ? "AND ($7::timestamptz IS NULL OR (r.created_at, r.id) > ($7, $8::text))" : ""}
      ORDER BY r.created_at, r.id ${limit}
    ),
    -- Each member's due flag is read on the walk, where the run row is at hand: joining the tree
    -- to runs again afterwards, the planner (which guesses a recursive CTE's size) hashed the
    -- whole runs table at every batch, a cost growing with the table.
    tree AS (
      SELECT id AS root, id, true AS due FROM roots
      UNION
      SELECT t.root, c.id, c.due FROM tree t CROSS JOIN LATERAL (
        SELECT m.id, ${due("m")} AS due FROM ${s}.runs m WHERE m.parent_run_id = t.id
        UNION ALL SELECT m.id, ${due("m")} AS due FROM ${s}.runs m WHERE m.forked_from = t.id) c
    ),
    whole AS (SELECT root FROM tree GROUP BY root HAVING bool_and(due))`;
  return {
    /**
     * Kept histories whose time has come ($1 at most): their rows, and the journal's status
     * entries and metadata history they kept. Returns what went, by table.
     */
    expireKept: `
      WITH due AS (
        SELECT run_id FROM ${s}.kept_histories WHERE keep_until < now() ORDER BY keep_until LIMIT $1 FOR UPDATE SKIP LOCKED
      ),
      gone AS (DELETE FROM ${s}.kept_histories k USING due WHERE k.run_id = due.run_id RETURNING k.run_id),
      journal AS (DELETE FROM ${s}.journal j USING gone g WHERE j.run_id = g.run_id RETURNING 1),
      history AS (DELETE FROM ${s}.run_metadata_history h USING gone g WHERE h.run_id = g.run_id RETURNING 1)
      SELECT (SELECT count(*) FROM gone)::int AS kept_histories, (SELECT count(*) FROM journal)::int AS journal,
        (SELECT count(*) FROM history)::int AS run_metadata_history`,

    /**
     * The backlog a retention pass starts with (an estimate for the metrics): runs without a parent
     * due by their task's retention, else $1 ms, that were created before $2. Their children are
     * not counted, nor is whether their trees are whole yet.
     */
    backlog: `SELECT count(*)::int AS roots FROM ${s}.runs r
      WHERE r.created_at < $2 AND r.parent_run_id IS NULL AND ${due("r", "NULL::bigint", "$1::bigint")}`,

    /** Whether any task has a retention of its own (else, without the engine's, there is nothing to do). */
    anyTaskRetention: `SELECT min(retention_ms)::bigint AS min FROM ${s}.tasks WHERE retention_ms IS NOT NULL`,

    /**
     * A purge batch runs without JIT compilation: its estimated cost (a recursive walk the planner
     * cannot size) is high enough that PostgreSQL compiled and optimized it at every batch, which
     * took seconds, most of a batch of 500 runs on a table of 500,000. `set_config(…, true)` is
     * `SET LOCAL` in a form that can be prepared, as every statement here is.
     */
    noJit: "SELECT set_config('jit', 'off', true)",

    /** One engine at a time applies retention; the others skip their turn. */
    lock: `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`,

    /** How many runs a purge would remove. */
    count: `WITH RECURSIVE ${trees("")}
      SELECT count(DISTINCT t.id)::int AS count FROM tree t JOIN whole USING (root)`,

    /**
     * Deletes the trees of the next $6 candidate roots after ($7 created_at, $8 id) and their
     * pg-boss jobs not done yet (a done job holds only the run's id, and pg-boss deletes it a day
     * after: looking for those too read every job of the queue, at each batch), except the history of runs kept longer (their task's `keepStatusHistory`, else
     * $9 ms, counted from finished_at): their status entries and metadata history stay, with a
     * `kept_histories` row that the delete trigger, at the end of this statement, sees. Counts the
     * journal and metadata history rows the trigger deletes (read in the statement's snapshot,
     * where they still are), for the purge metrics; returns how many runs went, how many roots were looked at and the last one (to
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
      WHERE r.id = d.id
      RETURNING r.id, r.task_id, r.tags, r.status, r.revision, r.created_at, r.finished_at, r.audit_hash, r.audit_origin, r.forked_from
    ),
    kept AS (
      INSERT INTO ${s}.kept_histories (run_id, task_id, tags, status, revision, created_at, finished_at, audit_hash, audit_origin, forked_from, keep_until)
      SELECT g.id, g.task_id, g.tags, g.status, g.revision, g.created_at, g.finished_at, g.audit_hash, g.audit_origin, g.forked_from,
        g.finished_at + make_interval(secs => k.ms / 1000.0)
      FROM gone g CROSS JOIN LATERAL (SELECT coalesce(
        (SELECT t.keep_history_ms FROM ${s}.tasks t WHERE t.id = g.task_id ORDER BY t.registered_at DESC LIMIT 1), $9::bigint) AS ms) k
      WHERE g.finished_at + make_interval(secs => k.ms / 1000.0) > now()
      RETURNING run_id
    ),
    jobs AS (
      DELETE FROM ${boss}.job j WHERE j.name = '${runQueue}' AND j.state IN ('created', 'retry', 'active', 'failed')
        AND j.data ->> 'runId' IN (SELECT id FROM gone)
    )
    SELECT (SELECT count(*) FROM gone)::int AS count, (SELECT count(*) FROM kept)::int AS kept,
      (SELECT count(*) FROM complete)::int AS roots, (SELECT count(*) FROM roots)::int AS scanned,
      (SELECT count(*) FROM ${s}.journal j JOIN gone g ON j.run_id = g.id
        WHERE NOT (j.kind = 'status' AND g.id IN (SELECT run_id FROM kept)))::int AS journal,
      (SELECT count(*) FROM ${s}.run_metadata_history h JOIN gone g ON h.run_id = g.id
        WHERE g.id NOT IN (SELECT run_id FROM kept))::int AS run_metadata_history,
      (SELECT created_at::text FROM roots ORDER BY created_at DESC, id DESC LIMIT 1) AS last_at,
      (SELECT id FROM roots ORDER BY created_at DESC, id DESC LIMIT 1) AS last_id`,
  };
}
