import { notifiedCte, sent } from "./notify.ts";
import { readySince } from "./ready-since.ts";
import { journalTuples } from "./journal-tuples.ts";

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
     * Times a due token out. The row lock makes the first settlement the only one (see `complete`);
     * RETURNING reads the row as it was when this statement got the lock, so it names every run
     * that registered before, each of which the caller wakes in this transaction (`wakeRuns`).
     */
    timeOut: `
      UPDATE ${s}.waitpoints w SET status = 'TIMED_OUT', completed_at = now()
      WHERE w.id = $1 AND w.status = 'WAITING' AND ${due}
      RETURNING w.run_ids`,

    /**
     * Completes a waiting token that is not due, and resumes its runs in the same statement: each
     * run still WAITING on it (`wait_token`, set by `suspendOnToken` in ./runs.ts) gets its wait's
     * journal entry with the outcome ($3). A run of a task this process has code for ($6, task ids)
     * takes one of the leases $7 (slots its worker reserved) and is written EXECUTING, returned in
     * `started` as a claim returns a run, for this process to start once committed; the others
     * become ready for any worker's claim, keeping `wait_seq` so that claim continues the run's
     * attempt (`claimSet` in ./runs.ts). A run in a limited queue must start through its queue's
     * claim, and a locked run is being changed right now (a cancel, an execution woken early):
     * those are skipped, not waited for (the token is locked first, a run's execution locks its run
     * first), and `run_ids` minus `resumed` are woken by job. $4 the run channel, $5 the wake channel.
     */
    complete: `
      WITH settled AS (
        UPDATE ${s}.waitpoints w SET status = 'COMPLETED', output = $2, completed_at = now()
        WHERE w.id = $1 AND w.status = 'WAITING' AND (w.timeout_at IS NULL OR NOT ${due})
        RETURNING w.run_ids
      ), waiting AS (
        SELECT r.id, r.wait_seq, r.wait_started_at, r.task_id = ANY($6::text[]) AS here FROM ${s}.runs r
        WHERE r.id = ANY((SELECT run_ids FROM settled)::text[]) AND r.status = 'WAITING' AND r.wait_token = $1
          AND r.concurrency_limit IS NULL
        ORDER BY r.id COLLATE "C" FOR NO KEY UPDATE SKIP LOCKED
      ), leased AS (
        SELECT w.*, CASE WHEN w.here THEN ($7::uuid[])[row_number() OVER (PARTITION BY w.here ORDER BY w.id COLLATE "C")] END AS lease
        FROM waiting w
      ), resumed AS (
        UPDATE ${s}.runs r SET status = CASE WHEN l.lease IS NULL THEN 'QUEUED' ELSE 'EXECUTING' END,
          ready_at = CASE WHEN l.lease IS NULL THEN ${readySince("r.priority")} END, lease = l.lease,
          heartbeat_at = CASE WHEN l.lease IS NOT NULL THEN now() END, wait_token = NULL,
          wait_seq = CASE WHEN l.lease IS NULL THEN r.wait_seq END, wait_started_at = CASE WHEN l.lease IS NULL THEN r.wait_started_at END,
          updated_at = now(), revision = r.revision + 1
        FROM leased l WHERE r.id = l.id
        RETURNING r.*, l.wait_seq AS entry_seq, l.wait_started_at AS entry_started_at
      ), journaled AS (
        INSERT INTO ${s}.journal (run_id, seq, kind, key, status, output_json, revision, started_at)
        SELECT id, entry_seq, 'waitpoint', 'forToken:' || $1, 'completed', $3::text::json, revision, entry_started_at FROM resumed
        ON CONFLICT (run_id, seq) DO NOTHING
      ), woke AS (
        SELECT pg_notify($5, '') FROM resumed WHERE lease IS NULL LIMIT 1
      ), ${notifiedCte("resumed", "$4")}
      SELECT s.run_ids, coalesce((SELECT array_agg(id) FROM resumed), '{}') AS resumed,
        (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'entry_seq' - 'entry_started_at' || jsonb_build_object(
            'event_name', (SELECT e.name FROM ${s}.events e WHERE e.id = x.event_id),
            'journal', ${journalTuples(s, "x.id")}::jsonb || jsonb_build_array(jsonb_build_array(
              x.entry_seq, 'waitpoint', 'forToken:' || $1, 'completed', $3::text::jsonb, NULL, 1, 0)),
            'journal_revision', x.revision - 1)), '[]'::jsonb)
          FROM resumed x WHERE x.lease IS NOT NULL) AS started,
        ${sent}, (SELECT count(*) FROM woke) AS woke
      FROM settled s`,

    /** A token's runs are woken by job (`wakeRuns`): the next fetch of any worker takes jobs first. */
    jobsDue: `SELECT pg_notify($1, 'jobs')`,

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
