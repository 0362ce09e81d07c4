/**
 * Statements on `waitpoints`. `s` is the quoted schema.
 *
 * Time: a token is due to time out once `timeout_at` has passed on the database's clock
 * (`clock_timestamp()`, so a statement that waited for a row lock judges at the moment it got it).
 * Until a waiting run records the timeout, a due token still reads WAITING in its row; readers see
 * it as TIMED_OUT, and a completion is refused, so every observer agrees with the run.
 */
/**
 * The `wait` column of a run read (RunReadRow in db/rows.ts): the token a WAITING run registered
 * on that still waits. A settled token no longer counts, so the completion that wakes the run
 * clears it even before the run resumes; a due one counts until the run records its timeout.
 */
export const runWait = (s: string, run: string) => `(
  SELECT json_build_object('waitpointId', w.id, 'timeoutAt', w.timeout_at) FROM ${s}.waitpoints w
  WHERE ${run}.status = 'WAITING' AND w.status = 'WAITING' AND w.run_ids @> ARRAY[${run}.id]
  ORDER BY w.created_at, w.id LIMIT 1) AS wait`;

export function waitpointStatements(s: string) {
  const due = `w.timeout_at <= clock_timestamp()`;
  const status = `CASE WHEN w.status = 'WAITING' AND ${due} THEN 'TIMED_OUT' ELSE w.status END`;
  const columns = `w.id, ${status} AS status, w.output, w.timeout_at, w.idempotency_key, w.idempotency_key_expires_at,
    w.tags, w.run_ids, w.created_at, w.completed_at`;
  return {
    /** Nothing on a live idempotency key: the caller reads the token holding it (`byIdempotencyKey`). */
    insert: `
      INSERT INTO ${s}.waitpoints AS w (id, secret_hash, timeout_at, idempotency_key, idempotency_key_expires_at, tags)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING ${columns}`,

    byIdempotencyKey: `
      SELECT ${columns}, coalesce(w.idempotency_key_expires_at <= now(), false) AS expired
      FROM ${s}.waitpoints w WHERE w.idempotency_key = $1`,

    /** An expired idempotency key stops deduplicating: the old token keeps no key, a new one takes it. */
    clearIdempotencyKey: `
      UPDATE ${s}.waitpoints SET idempotency_key = NULL
      WHERE id = $1 AND idempotency_key_expires_at <= now()`,

    get: `SELECT ${columns} FROM ${s}.waitpoints w WHERE w.id = $1`,

    secretHash: `SELECT secret_hash FROM ${s}.waitpoints WHERE id = $1`,

    /** Newest first; $1 statuses, $2 any of these tags, $3 a run that waited, $4 the cursor (an id). */
    list: `
      SELECT ${columns} FROM ${s}.waitpoints w
      WHERE ($1::text[] IS NULL OR ${status} = ANY($1::text[]))
        AND ($2::text[] IS NULL OR w.tags && $2::text[])
        AND ($3::text IS NULL OR w.run_ids @> ARRAY[$3::text])
        AND ($4::text IS NULL OR w.id < $4::text)
      ORDER BY w.id DESC LIMIT $5`,

    /**
     * Settles a waiting token: COMPLETED with an output before its timeout, TIMED_OUT after it.
     * The row lock makes the first settlement the only one; RETURNING reads the row as it was
     * when this statement got the lock, so it names every run that registered before, each of
     * which the caller wakes in this transaction. $4 is the wake channel; the payload says the
     * wake-up is by job (JOBS_DUE, worker/dispatcher.ts), which a worker then fetches first.
     */
    settle: `
      WITH settled AS (
        UPDATE ${s}.waitpoints w SET status = $2::text, output = $3, completed_at = now()
        WHERE w.id = $1 AND w.status = 'WAITING'
          AND CASE WHEN $2::text = 'COMPLETED' THEN w.timeout_at IS NULL OR NOT ${due} ELSE ${due} END
        RETURNING w.run_ids
      )
      SELECT run_ids, pg_notify($4, 'jobs') FROM settled`,

    /**
     * A run starts waiting on a token that is still waiting (and not due); nothing when it is not.
     * A run registered already (woken early, it waits again) is not added twice.
     */
    register: `
      UPDATE ${s}.waitpoints w
      SET run_ids = CASE WHEN $2::text = ANY(w.run_ids) THEN w.run_ids ELSE array_append(w.run_ids, $2::text) END
      WHERE w.id = $1 AND w.status = 'WAITING' AND (w.timeout_at IS NULL OR NOT ${due})
      RETURNING w.timeout_at`,

    /** The token's stored state: settled for good unless WAITING (which may be due to time out). */
    outcome: `SELECT status, output FROM ${s}.waitpoints WHERE id = $1`,

    /**
     * A run's lock under its lease (as runs.fence) and its token's stored state, in one round trip:
     * a run woken by a completion finds the token settled here and journals it at once. A settled
     * state never changes, so reading it from this statement's snapshot is safe; a WAITING one is
     * only a hint, and the caller registers (or times out) under the token's row lock. No token:
     * status NULL. $1 run, $2 lease, $3 token.
     */
    fenceAndRead: `
      SELECT w.status, w.output FROM ${s}.runs r LEFT JOIN ${s}.waitpoints w ON w.id = $3
      WHERE r.id = $1 AND r.lease = $2 AND r.status = 'EXECUTING' FOR UPDATE OF r`,
  };
}
