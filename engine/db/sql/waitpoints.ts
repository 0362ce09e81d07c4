import { notifiedCte, sent } from "./notify.ts";
import { readySince } from "./ready-since.ts";
import { journalTuples } from "./journal-tuples.ts";
import { batchItems } from "./batch.ts";
import { runColumns } from "./run-columns.ts";
import { statusIs } from "./status-is.ts";

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

/** The SQLSTATE of a completion whose runs need wake-up jobs sent in its transaction (see `complete`). */
export const WAKE_JOBS = "DU002";

/** A token's run still waiting (./status-is.ts): each of the token's runs is probed by key. */
const waitingRun = statusIs("r", "WAITING");

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
     * Completes a batch of tokens ($1: JSON items `{ id, output, outcome }`), each if it waits and
     * is not due, and resumes their runs, in one statement that needs no transaction around it.
     * Tokens are locked in id order first (`locked`), so two batches never deadlock. Each run still
     * WAITING on a completed token (`wait_token`, set by `suspendOnToken` in ./runs.ts) gets its
     * wait's journal entry with the token's outcome. A run of a task this process has code for ($4,
     * task ids) takes one of the leases $5 (slots its worker reserved) and is written EXECUTING,
     * returned in `started` as a claim returns a run, for this process to start once committed; the
     * others become ready for any worker's claim, keeping `wait_seq` so that claim continues the
     * run's attempt (`claimSet` in ./runs.ts). A run in a limited queue must start through its
     * queue's claim, and a locked run is being changed right now (a cancel, an execution woken
     * early): those are skipped, not waited for (tokens are locked first, a run's execution locks
     * its run first), and returned in `woken` for jobs to wake, which must commit with the
     * completion: unless $6 says the caller's transaction sends them, the statement then fails with
     * DU002 (`WAKE_JOBS`, migration 43), undoing itself. `results` maps each id to `settled`,
     * `not-found`, or the state that refused it: a token this statement found waiting and not due
     * in its snapshot but could not settle was completed by a completion that committed first.
     * $2 the run channel, $3 the wake channel.
     */
    complete: `
      WITH items AS (
        ${batchItems(s, "$1", "id text, output jsonb, outcome text")}
      ), locked AS (
        SELECT w.id FROM ${s}.waitpoints w WHERE w.id IN (SELECT id FROM items)
        ORDER BY w.id COLLATE "C" FOR NO KEY UPDATE
      ), settled AS (
        UPDATE ${s}.waitpoints w SET status = 'COMPLETED', output = i.output, completed_at = now()
        FROM items i
        WHERE w.id = i.id AND w.id IN (SELECT id FROM locked) AND w.status = 'WAITING' AND (w.timeout_at IS NULL OR NOT ${due})
        RETURNING w.id, w.run_ids, i.outcome
      ), waiting AS (
        SELECT r.id, r.wait_seq, r.wait_started_at, r.task_id = ANY($4::text[]) AS here, t.id AS token, t.outcome
        FROM settled t CROSS JOIN LATERAL unnest(t.run_ids) AS x(id) JOIN ${s}.runs r ON r.id = x.id
        WHERE r.wait_token = t.id AND ${waitingRun} AND r.concurrency_limit IS NULL
        ORDER BY r.id COLLATE "C" FOR NO KEY UPDATE OF r SKIP LOCKED
      ), leased AS (
        SELECT w.*, CASE WHEN w.here THEN ($5::uuid[])[row_number() OVER (PARTITION BY w.here ORDER BY w.id COLLATE "C")] END AS lease
        FROM waiting w
      ), resumed AS (
        UPDATE ${s}.runs r SET status = CASE WHEN l.lease IS NULL THEN 'QUEUED' ELSE 'EXECUTING' END,
          ready_at = CASE WHEN l.lease IS NULL THEN ${readySince("r.priority")} END, lease = l.lease,
          heartbeat_at = CASE WHEN l.lease IS NOT NULL THEN now() END, wait_token = NULL,
          wait_seq = CASE WHEN l.lease IS NULL THEN r.wait_seq END, wait_started_at = CASE WHEN l.lease IS NULL THEN r.wait_started_at END,
          updated_at = now(), revision = r.revision + 1
        FROM leased l WHERE r.id = l.id
        RETURNING ${runColumns("r")}, l.wait_seq AS entry_seq, l.wait_started_at AS entry_started_at, l.token AS entry_token, l.outcome AS entry_outcome
      ), journaled AS (
        INSERT INTO ${s}.journal (run_id, seq, kind, key, status, output_json, revision, started_at)
        SELECT id, entry_seq, 'waitpoint', 'forToken:' || entry_token, 'completed', entry_outcome::json, revision, entry_started_at FROM resumed
        ON CONFLICT (run_id, seq) DO NOTHING
      ), woke AS (
        SELECT pg_notify($3, '') FROM resumed WHERE lease IS NULL LIMIT 1
      ), ${notifiedCte("resumed", "$2")}
      , unresumed AS (
        SELECT coalesce(array_agg(x.id ORDER BY x.id), '{}') AS ids
        FROM (SELECT unnest(t.run_ids) AS id FROM settled t) x WHERE x.id NOT IN (SELECT id FROM resumed)
      )
      SELECT (SELECT jsonb_object_agg(i.id, CASE WHEN t.id IS NOT NULL THEN 'settled' WHEN w.id IS NULL THEN 'not-found'
            WHEN ${status} = 'TIMED_OUT' THEN 'TIMED_OUT' ELSE 'COMPLETED' END)
          FROM items i LEFT JOIN settled t ON t.id = i.id LEFT JOIN ${s}.waitpoints w ON w.id = i.id) AS results,
        u.ids AS woken,
        (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'entry_seq' - 'entry_started_at' - 'entry_token' - 'entry_outcome' || jsonb_build_object(
            'event_name', (SELECT e.name FROM ${s}.events e WHERE e.id = x.event_id),
            'journal', ${journalTuples(s, "x.id")}::jsonb || jsonb_build_array(jsonb_build_array(
              x.entry_seq, 'waitpoint', 'forToken:' || x.entry_token, 'completed', x.entry_outcome::jsonb, NULL, 1, 0)),
            'journal_revision', x.revision - 1)), '[]'::jsonb)
          FROM resumed x WHERE x.lease IS NOT NULL) AS started,
        ${sent}, (SELECT count(*) FROM woke) AS woke,
        CASE WHEN cardinality(u.ids) > 0 AND NOT $6::boolean THEN ${s}.refuse_wake_jobs(u.ids) END AS refused
      FROM unresumed u`,

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
