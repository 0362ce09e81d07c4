/** Statements on `runs`: the lifecycle of a run. `s` is the quoted schema. */
export function runStatements(s: string) {
  const notifyRun = (alias: string, param: string) => `pg_notify(${param}, ${alias}.id || ':' || ${alias}.revision)`;
  return {
    insert: `
      WITH ins AS (
        INSERT INTO ${s}.runs (id, task_id, task_version, event_id, parent_run_id, payload, status, metadata, tags, idempotency_key)
        VALUES ($1, $2, $3, $4, $5, $6, 'QUEUED', $7, $8, $9)
        ON CONFLICT (task_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id, revision, metadata
      ), hist AS (
        INSERT INTO ${s}.run_metadata_history (run_id, seq, op, metadata)
        SELECT id, 0, 'trigger', metadata FROM ins WHERE metadata <> '{}'::jsonb
      )
      SELECT id, ${notifyRun("ins", "$10")}, pg_notify($11, '') FROM ins`,

    findByIdempotencyKey: `SELECT id FROM ${s}.runs WHERE task_id = $1 AND idempotency_key = $2`,

    /** Takes the run for one execution: a new lease fences off any older execution still alive. */
    claim: `
      UPDATE ${s}.runs r SET status = 'EXECUTING', lease = $2, attempts = r.attempts + $3,
        started_at = coalesce(r.started_at, now()), updated_at = now(), revision = r.revision + 1
      WHERE r.id = $1 AND r.status IN ('QUEUED', 'WAITING', 'EXECUTING')
      RETURNING r.*,
        (SELECT e.name FROM ${s}.events e WHERE e.id = r.event_id) AS event_name,
        (SELECT coalesce(json_agg(json_build_object('seq', j.seq, 'kind', j.kind, 'key', j.key, 'status', j.status,
                  'output', j.output, 'error', j.error, 'attempts', j.attempts) ORDER BY j.seq), '[]'::json)
           FROM ${s}.journal j WHERE j.run_id = r.id) AS journal,
        ${notifyRun("r", "$4")}`,

    /** Ends an execution that holds the lease: finished, or handed back to wait for a job. */
    release: `
      UPDATE ${s}.runs r SET status = $3, output = coalesce($4, r.output), error = $5, lease = NULL,
        finished_at = CASE WHEN $3 IN ('SUCCESS', 'FAILURE', 'CANCELED') THEN now() ELSE NULL END,
        updated_at = now(), revision = r.revision + 1
      WHERE r.id = $1 AND r.lease = $2 AND r.status = 'EXECUTING'
      RETURNING r.id, ${notifyRun("r", "$6")}`,

    cancel: `
      UPDATE ${s}.runs r SET status = 'CANCELED', lease = NULL, finished_at = now(), updated_at = now(),
        revision = r.revision + 1, error = $2
      WHERE r.id = $1 AND r.status NOT IN ('SUCCESS', 'FAILURE', 'CANCELED')
      RETURNING r.id, ${notifyRun("r", "$3")}`,

    /** A failed run resumes: failed journal entries stay and are re-executed, completed ones replay. */
    requeue: `
      WITH reset AS (
        UPDATE ${s}.journal SET attempts = 0 WHERE run_id = $1 AND status = 'failed'
          AND EXISTS (SELECT 1 FROM ${s}.runs WHERE id = $1 AND status IN ('FAILURE', 'CANCELED')))
      UPDATE ${s}.runs r SET status = 'QUEUED', error = NULL, output = NULL, finished_at = NULL, lease = NULL,
        updated_at = now(), revision = r.revision + 1
      WHERE r.id = $1 AND r.status IN ('FAILURE', 'CANCELED')
      RETURNING r.id, ${notifyRun("r", "$2")}`,

    get: `
      SELECT r.*, (SELECT e.name FROM ${s}.events e WHERE e.id = r.event_id) AS event_name
      FROM ${s}.runs r WHERE r.id = $1`,

    state: `SELECT status, lease FROM ${s}.runs WHERE id = $1`,

    list: `
      SELECT r.*, NULL AS event_name FROM ${s}.runs r
      WHERE ($1::text[] IS NULL OR r.status = ANY($1))
        AND ($2::text IS NULL OR r.task_id = $2)
        AND ($3::text IS NULL OR r.tags @> ARRAY[$3::text])
        AND ($4::text IS NULL OR r.event_id = $4)
        AND ($5::timestamptz IS NULL OR r.created_at >= $5)
        AND ($6::timestamptz IS NULL OR r.created_at < $6)
        AND ($7::text IS NULL OR r.metadata ->> $7 = $8)
        AND ($9::text IS NULL OR r.id < $9)
      ORDER BY r.id DESC
      LIMIT $10`,

    countByStatus: `
      SELECT r.status, count(*)::int AS count FROM ${s}.runs r
      WHERE ($1::text IS NULL OR r.task_id = $1)
        AND ($2::text IS NULL OR r.tags @> ARRAY[$2::text])
        AND ($3::text IS NULL OR r.event_id = $3)
        AND ($4::timestamptz IS NULL OR r.created_at >= $4)
        AND ($5::timestamptz IS NULL OR r.created_at < $5)
        AND ($6::text IS NULL OR r.metadata ->> $6 = $7)
      GROUP BY r.status`,

    byEvent: `SELECT r.*, NULL AS event_name FROM ${s}.runs r WHERE r.event_id = $1 ORDER BY r.created_at, r.id`,

    statusesOf: `SELECT id, status, finished_at FROM ${s}.runs WHERE id = ANY($1)`,
  };
}
