import { chained, metadataContent } from "./audit.ts";
import { batchItems } from "./batch.ts";
import { notifyNewRun, notifyRun, selectNotifyingTogether } from "./notify.ts";
import { entryAttempts } from "./journal-output.ts";
import { journalTuples } from "./journal-tuples.ts";
import { queueReadyAt, readySince } from "./ready-since.ts";
import { runWait } from "./waitpoints.ts";
import { runColumns, runJson } from "./run-columns.ts";
import { statusIs } from "./status-is.ts";

/**
 * The one order in which statements that lock several runs and wait for their locks take them:
 * two such statements that took them in different orders could each hold a run the other waits
 * for, and Postgres breaks that deadlock only after deadlock_timeout (1 s), by failing one. Batches
 * (journal writes, claims) send their items in this order (`byRunId`, db/hot-path/lock-order.ts);
 * run ids are ASCII, so JavaScript's string order is the "C" collation's.
 */
const lockOrder = (alias: string) => `${alias}.id COLLATE "C"`;

/**
 * The run as a read returns it (`get`), built by the statement that finishes it when a caller in
 * this process waits for that end (`awaited`, `runs.poll`): the caller takes its result from the
 * end, with no read after it (engine/notify/committed-ends.ts). A finished run waits on no token.
 */
export const endedRun = (s: string, alias: string, awaited: string) =>
  `CASE WHEN ${awaited} AND ${alias}.status IN ('SUCCESS', 'FAILURE', 'CANCELED')
    THEN ${runJson(alias)} || jsonb_build_object('event_name', (SELECT e.name FROM ${s}.events e WHERE e.id = ${alias}.event_id)) END`;


/**
 * A new run is ready to claim at once unless it is delayed or in a queue with a concurrency
 * limit or a rate limit: those start through a pg-boss job.
 */
const readyAt = (delayed: string, q: string, priority: string) =>
  `CASE WHEN NOT ${delayed} AND ${q}.concurrency_limit IS NULL AND ${q}.rate_limit IS NULL THEN ${readySince(priority)} END`;

/** How long a stream of debounced triggers can hold a run back, from the first (as Trigger.dev's default). */
const DEBOUNCE_MAX = "interval '10 minutes'";

/** A run's queue and limits: the trigger's when it names a queue, else its registered task version's. */
const queueOf = (w: string, t: string) => `LATERAL (SELECT CASE WHEN ${w}queue IS NULL THEN ${t}.queue ELSE ${w}queue END AS queue,
            CASE WHEN ${w}queue IS NULL THEN ${t}.concurrency_limit ELSE ${w}concurrency_limit END AS concurrency_limit,
            CASE WHEN ${w}queue IS NULL THEN ${t}.rate_limit ELSE ${w}rate_limit END AS rate_limit,
            CASE WHEN ${w}queue IS NULL THEN ${t}.rate_period_ms ELSE ${w}rate_period_ms END AS rate_period_ms) AS q`;

/** The runs of `r`'s queue (and concurrency key) that started within its rate limit's period. */
export const startedInPeriod = (s: string, r: string) => `
        FROM ${s}.runs o
        WHERE o.queue = ${r}.queue AND o.concurrency_key IS NOT DISTINCT FROM ${r}.concurrency_key AND o.rate_limit IS NOT NULL
          AND o.started_at > now() - make_interval(secs => ${r}.rate_period_ms / 1000.0)`;

// A run that never started before its ttl is left for its expire job, never claimed.
export const notExpired = (r: string) =>
  `NOT (${r}.status = 'QUEUED' AND ${r}.started_at IS NULL AND ${r}.expires_at IS NOT NULL AND ${r}.expires_at <= now())`;

// A debounced run whose start a later trigger pushed back is left for the job moved with it.
export const notDeferred = (r: string) => `NOT (${r}.started_at IS NULL AND ${r}.start_after IS NOT NULL AND ${r}.start_after > now())`;

/**
 * What every claim sets: the run executes under a new lease (fencing off any older execution).
 * A run whose wait on a token was resumed by the token's completion (`wait_seq` kept, see
 * `complete` in ./waitpoints.ts) continues its attempt, however it is claimed.
 * `heartbeat` is now() for a run claimed from the ready runs (its worker keeps it alive) and NULL
 * for one started by a pg-boss job (the job's heartbeat does).
 */
export const claimSet = (lease: string, counts: string, heartbeat: "now()" | "NULL") => `
        status = 'EXECUTING', lease = ${lease}, attempts = r.attempts + CASE WHEN r.wait_seq IS NULL THEN ${counts} ELSE 0 END,
        wait_token = NULL, wait_seq = NULL, wait_started_at = NULL,
        started_at = coalesce(r.started_at, now()), updated_at = now(), revision = r.revision + 1,
        ready_at = NULL, heartbeat_at = ${heartbeat}`;


/**
 * What a claim returns: the run, its event's name and its journal, to replay. The journal is read
 * with the statement's snapshot, which predates a row lock the claim may have waited for: an
 * older execution's write that held it committed an entry this journal lacks. `journal_revision`,
 * the run's revision in that same snapshot, tells: one behind the claimed row's revision, or the
 * journal must be read again (`journalOf`).
 */
export const claimReturning = (s: string) => `
      RETURNING ${runColumns("r")},
        (SELECT e.name FROM ${s}.events e WHERE e.id = r.event_id) AS event_name,${journalTuples(s, "r.id")} AS journal,
        (SELECT seen.revision FROM ${s}.runs seen WHERE seen.id = r.id) AS journal_revision`;

/**
 * `picked` and `claimed`: up to `limit` ready runs, oldest `ready_at` first (priority included, see
 * `readySince`), each claimed for one execution
 * under a new lease; rows another worker is taking are skipped, not waited for. Every such claim
 * is a new attempt (a start, or a run handed back by a dead or stopping worker).
 * `picked` walks runs_ready_idx in that order and stops after `limit` runs. Its status test is in
 * the "C" collation, as the index's predicate (migration 49), so that no status index can serve
 * it: statistics gathered while no run was QUEUED (a table of finished runs) made the planner
 * read every QUEUED entry of the status index, dead ones included, and sort them, at each claim.
 */
export function claimReadyCtes(s: string, limit: string): string {
  return `picked AS (
        SELECT id, gen_random_uuid() AS lease FROM ${s}.runs r
        WHERE ${statusIs("r", "QUEUED")} AND r.ready_at IS NOT NULL AND r.ready_at <= now() AND ${notExpired("r")}
        ORDER BY r.ready_at, r.id LIMIT ${limit} FOR UPDATE SKIP LOCKED
      ), claimed AS (
        UPDATE ${s}.runs r SET ${claimSet("picked.lease", "1", "now()")}
        FROM picked WHERE r.id = picked.id
        ${claimReturning(s)}
      )`;
}


/** A new run's chain head: the hash of its trigger's metadata, the first version (none when empty). */
const triggerHash = (id: string, metadata: string) =>
  `CASE WHEN ${metadata} <> '{}'::jsonb THEN ${chained("NULL", metadataContent(id, "0", "'trigger'", "NULL", "NULL", metadata, "NULL", "now()"))} END`;

/**
 * Inserts many runs without an idempotency key, read from $1 (JSON records), in `ins`. With
 * `onlyIfAllReady` it inserts nothing unless every run is ready at once, so that it can commit on
 * its own: a run that is not must be inserted in one transaction with its start job. A record with
 * a `lease` is inserted EXECUTING under it, as a claim would leave it: the triggering process has
 * a free slot and the task's code, and starts the run itself (`started`, the row), saving the
 * claim's round trip and the wait for a notification.
 */
const insertRuns = (s: string, onlyIfAllReady: boolean) => `
      WITH w AS (
        SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, task_id text, task_version text, event_id text,
          parent_run_id text, payload jsonb, metadata jsonb, tags text[], resume_parent boolean, expires_at timestamptz,
          queue text, concurrency_limit integer, concurrency_key text, forked_from text, scheduled_for timestamptz,
          delayed boolean, max_duration_ms integer, priority integer, rate_limit integer, rate_period_ms integer, lease uuid, ord integer,
          trace_context jsonb)
      ), ins AS (
        INSERT INTO ${s}.runs AS r (id, task_id, task_version, event_id, parent_run_id, payload, status, metadata, tags,
          resume_parent, expires_at, queue, concurrency_limit, concurrency_key, forked_from, scheduled_for, max_duration_ms,
          priority, rate_limit, rate_period_ms, ready_at, queue_ready_at, lease, attempts, started_at, heartbeat_at, trace_context, audit_hash)
        SELECT w.id, w.task_id, w.task_version, w.event_id, w.parent_run_id, w.payload,
          CASE WHEN w.lease IS NULL THEN 'QUEUED' ELSE 'EXECUTING' END, w.metadata, w.tags,
          w.resume_parent, w.expires_at, q.queue, q.concurrency_limit, w.concurrency_key, w.forked_from, w.scheduled_for,
          w.max_duration_ms, w.priority, q.rate_limit, q.rate_period_ms,
          CASE WHEN w.lease IS NULL THEN ${readyAt("w.delayed", "q", "w.priority")} END, ${queueReadyAt("w.delayed", "q", "w.priority")}, w.lease,
          CASE WHEN w.lease IS NULL THEN 0 ELSE 1 END, CASE WHEN w.lease IS NOT NULL THEN now() END, CASE WHEN w.lease IS NOT NULL THEN now() END,
          w.trace_context, ${triggerHash("w.id", "w.metadata")}
        FROM w LEFT JOIN ${s}.tasks t ON t.id = w.task_id AND t.version = w.task_version, ${queueOf("w.", "t")}
        ${onlyIfAllReady ? `WHERE NOT EXISTS (
          SELECT 1 FROM w LEFT JOIN ${s}.tasks t ON t.id = w.task_id AND t.version = w.task_version
          WHERE w.delayed OR w.queue IS NOT NULL OR t.concurrency_limit IS NOT NULL OR t.rate_limit IS NOT NULL)` : ""}
        ORDER BY w.ord
        RETURNING id, revision, metadata, audit_hash, ready_at IS NOT NULL AS ready, CASE WHEN lease IS NOT NULL THEN ${runJson("r")} END AS started
      ), hist AS (
        INSERT INTO ${s}.run_metadata_history (run_id, seq, op, metadata, audit_hash)
        SELECT id, 0, 'trigger', metadata, audit_hash FROM ins WHERE metadata <> '{}'::jsonb
      )`;

/** Statements on `runs`: the lifecycle of a run. `s` is the quoted schema. */
export function runStatements(s: string) {
  const finished = `('SUCCESS', 'FAILURE', 'CANCELED')`;
  return {
    /**
     * The queue and its limit come from the trigger ($15, $16) or else from the registered task
     * version, copied onto the run so that claiming it needs no lookup.
     */
    insert: `
      WITH ins AS (
        INSERT INTO ${s}.runs (id, task_id, task_version, event_id, parent_run_id, payload, status, metadata, tags, idempotency_key,
          resume_parent, idempotency_key_expires_at, expires_at, queue, concurrency_limit, concurrency_key, forked_from, scheduled_for,
          max_duration_ms, priority, rate_limit, rate_period_ms, ready_at, queue_ready_at, trace_context, audit_hash)
        SELECT $1, $2, $3, $4, $5, $6, 'QUEUED', $7, $8, $9, $12, $13, $14, q.queue, q.concurrency_limit, $17, $18, $19,
          $21::integer, $22::integer, q.rate_limit, q.rate_period_ms, ${readyAt("$20::boolean", "q", "$22::integer")},
          ${queueReadyAt("$20::boolean", "q", "$22::integer")}, $25::jsonb,
          ${triggerHash("$1::text", "$7::jsonb")}
        FROM (SELECT $15::text AS queue, $16::integer AS concurrency_limit, $23::integer AS rate_limit, $24::integer AS rate_period_ms) AS w
          LEFT JOIN ${s}.tasks t ON t.id = $2 AND t.version = $3, ${queueOf("w.", "t")}
        ON CONFLICT (task_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id, revision, metadata, audit_hash, ready_at IS NOT NULL AS ready
      ), hist AS (
        INSERT INTO ${s}.run_metadata_history (run_id, seq, op, metadata, audit_hash)
        SELECT id, 0, 'trigger', metadata, audit_hash FROM ins WHERE metadata <> '{}'::jsonb
      )
      SELECT id, revision, ready, ${notifyNewRun("ins", "$10")}, pg_notify($11, '') FROM ins`,

    /** Many runs without an idempotency key in one statement, in the caller's transaction with their start jobs: a burst of triggers. */
    insertMany: `${insertRuns(s, false)}${selectNotifyingTogether("ins", "$2", { alsoNotify: "$3", chunked: true })}`,

    /**
     * `insertMany` for runs that are all ready at once (it inserts nothing otherwise, see `insertRuns`), committing
     * on its own and notifying nobody: a notifying commit waits for Postgres's one notify lock,
     * held by every other notifying commit through its WAL flush, so under load a trigger's
     * commit queued behind the engine's journal writes (4.1 ms where an INSERT took 0.6). The
     * caller announces the runs once they are committed (`announceRuns`).
     */
    insertReady: `${insertRuns(s, true)}
      SELECT id, revision, CASE WHEN started IS NOT NULL THEN started || jsonb_build_object(
          'event_name', (SELECT e.name FROM ${s}.events e WHERE e.id = started->>'event_id'),
          'journal', '[]'::jsonb, 'journal_revision', revision - 1) END AS started
      FROM ins`,

    /**
     * $2 the runs, each `<id>:<revision>` and at most a hundred a notification; every worker wakes
     * unless $4 is false (the triggering process started every run itself).
     */
    announceRuns: `SELECT pg_notify($1, changes), CASE WHEN $4::boolean THEN pg_notify($3, '') END FROM unnest($2::text[]) AS changes`,

    findByIdempotencyKey: `
      SELECT id, coalesce(idempotency_key_expires_at <= now(), false) AS expired
      FROM ${s}.runs WHERE task_id = $1 AND idempotency_key = $2`,

    /** An expired idempotency key stops deduplicating: the old run keeps no key, a new run takes it. */
    clearIdempotencyKey: `
      UPDATE ${s}.runs SET idempotency_key = NULL
      WHERE id = $1 AND idempotency_key_expires_at <= now()`,

    /**
     * Takes runs for one execution each (`claim`, for runs jobs fetched together): a new lease
     * fences off any older execution still alive. Limited queues go through `queues.claim` (./queues.ts).
     */
    claimMany: `
      WITH w AS (${batchItems(s, "$1", "run_id text, lease uuid, counts integer, takeover boolean")}),
      claimed AS (
        UPDATE ${s}.runs r SET ${claimSet("w.lease", "w.counts", "NULL")}
        FROM w
        WHERE r.id = w.run_id AND ${notExpired("r")} AND ${notDeferred("r")}
          AND (r.status IN ('QUEUED', 'WAITING') OR r.status = 'EXECUTING' AND w.takeover)
          AND (r.concurrency_limit IS NULL AND r.rate_limit IS NULL OR r.status = 'EXECUTING')
        ${claimReturning(s)}
      )${selectNotifyingTogether("claimed", "$2")}`,

    /** A run's journal as a claim returns it, read after the claim: complete, since no older execution can write any more. */
    journalOf: `SELECT ${journalTuples(s, "$1")} AS journal`,

    /** Takes up to $1 ready runs (see claimReadyCtes); under load claims ride the journal's batches instead. */
    claimReady: `
      WITH ${claimReadyCtes(s, "$1")}${selectNotifyingTogether("claimed", "$2", { chunked: true })}`,

    /**
     * The worker executing these runs (id, lease pairs) is alive; no revision: nothing a reader sees
     * changed. A run whose row is locked is being written right now: it is skipped, not waited
     * for, and its next heartbeat (a third of the lapse) counts. So the heartbeat waits for no
     * lock and can deadlock with nothing, not even a child's change to its parent's metadata,
     * which locks the child before the parent. Each run is probed by key: its status is spelled
     * so that no status index can serve it, since statistics gathered while few runs executed
     * (on a table of a million finished runs, always) made the planner walk the executing runs'
     * entries of the status index, dead ones of every run since the last VACUUM included, and
     * compare each with every run of the heartbeat: 10–400 ms a heartbeat on the big-tables bench.
     */
    heartbeat: `
      WITH held AS (
        SELECT r.id FROM ${s}.runs r JOIN unnest($1::text[], $2::uuid[]) AS h(id, lease) ON r.id = h.id AND r.lease = h.lease
        WHERE ${statusIs("r", "EXECUTING")} FOR NO KEY UPDATE OF r SKIP LOCKED
      )
      UPDATE ${s}.runs r SET heartbeat_at = now() FROM held WHERE r.id = held.id`,

    /** A stopping worker hands a run it claimed from the ready runs back to them. */
    giveBack: `
      UPDATE ${s}.runs r SET status = 'QUEUED', lease = NULL, ready_at = ${readySince("r.priority")}, heartbeat_at = NULL,
        updated_at = now(), revision = r.revision + 1
      WHERE r.id = $1 AND r.lease = $2 AND ${statusIs("r", "EXECUTING")}
      RETURNING r.id, ${notifyRun("r", "$3")}, pg_notify($4, '')`,

    /**
     * Runs whose worker stopped heartbeating for $1 seconds are made ready again, for another
     * worker. A run whose row is locked is being written right now: it is skipped, not waited for.
     */
    readyLapsed: `
      WITH lapsed AS (
        SELECT r.id FROM ${s}.runs r
        WHERE r.status = 'EXECUTING' AND r.heartbeat_at < now() - make_interval(secs => $1)
        FOR NO KEY UPDATE SKIP LOCKED
      )
      UPDATE ${s}.runs r SET status = 'QUEUED', lease = NULL, ready_at = ${readySince("r.priority")}, heartbeat_at = NULL,
        updated_at = now(), revision = r.revision + 1
      FROM lapsed WHERE r.id = lapsed.id
      RETURNING r.id, ${notifyRun("r", "$2")}, pg_notify($3, '')`,

    /**
     * Why `claim` took nothing: a run waiting for a slot in its queue, or one with nothing to do.
     * `deferral_lapsed`: a debounced run whose start has come, which may have come since the claim.
     */
    claimBlocker: `
      SELECT status, queue, concurrency_key, concurrency_limit, rate_limit,
        CASE WHEN status = 'QUEUED' AND started_at IS NULL AND start_after > now() THEN start_after END AS deferred_until,
        coalesce(status = 'QUEUED' AND started_at IS NULL AND start_after <= now(), false) AS deferral_lapsed
      FROM ${s}.runs WHERE id = $1`,

    /**
     * A further trigger with a run's debounce key, while that run has not started: its start moves
     * to $3 ms from now, but never later than `DEBOUNCE_MAX` after the first trigger (unless the
     * delay itself is longer) nor earlier than it was; $4, for a trailing debounce, is the payload.
     * In a limited queue it is no longer ready there: it ranks from its new start (./queues.ts).
     */
    debounce: `
      UPDATE ${s}.runs r SET
        start_after = greatest(r.start_after, least(now() + make_interval(secs => $3 / 1000.0),
          r.created_at + greatest(make_interval(secs => $3 / 1000.0), ${DEBOUNCE_MAX}))),
        payload = coalesce($4, r.payload), updated_at = now(), revision = r.revision + 1, queue_ready_at = NULL
      WHERE r.task_id = $1 AND r.debounce_key = $2 AND r.status = 'QUEUED' AND r.started_at IS NULL
      RETURNING r.id, ${notifyRun("r", "$5")}`,

    /** Marks a run just inserted as the one its debounce key pushes back, to start at $3. */
    markDebounced: `UPDATE ${s}.runs SET debounce_key = $2, start_after = $3 WHERE id = $1`,

    queueLock: `SELECT pg_advisory_xact_lock(hashtext($1))`,

    /** Lets go of the run until a job wakes it; fenced by the lease like every journal write. */
    suspend: `
      UPDATE ${s}.runs r SET status = 'WAITING', lease = NULL, updated_at = now(), revision = r.revision + 1, metadata_search = r.metadata
      WHERE r.id = $1 AND r.lease = $2 AND ${statusIs("r", "EXECUTING")}
      RETURNING r.id, ${notifyRun("r", "$3")}`,

    /**
     * `suspend` on a token: also the io call (seq $5, started at $6) whose outcome the token's
     * completion journals for the run when it resumes it (`complete` in ./waitpoints.ts).
     */
    suspendOnToken: `
      UPDATE ${s}.runs r SET status = 'WAITING', lease = NULL, updated_at = now(), revision = r.revision + 1,
        metadata_search = r.metadata, wait_token = $4, wait_seq = $5, wait_started_at = $6
      WHERE r.id = $1 AND r.lease = $2 AND ${statusIs("r", "EXECUTING")}
      RETURNING r.id, ${notifyRun("r", "$3")}`,

    /** Locks the run for the rest of the transaction if this execution still holds it. */
    fence: `SELECT r.id FROM ${s}.runs r WHERE r.id = $1 AND r.lease = $2 AND ${statusIs("r", "EXECUTING")} FOR UPDATE`,

    childResults: `SELECT id, status, output, error FROM ${s}.runs WHERE id = ANY($1)`,

    lock: `SELECT id FROM ${s}.runs WHERE id = $1 FOR UPDATE`,

    /** A waiting parent none of whose awaited children is still unfinished; run after the lock statement in the same transaction. */
    parentToWake: `
      SELECT p.id, pg_notify($2, '') FROM ${s}.runs p
      WHERE p.id = $1 AND ${statusIs("p", "WAITING")} AND NOT EXISTS (
        SELECT 1 FROM ${s}.runs c WHERE c.parent_run_id = p.id AND c.resume_parent AND c.status NOT IN ${finished})`,

    /** Cancels a run that never started before its ttl. */
    expire: `
      UPDATE ${s}.runs r SET status = 'CANCELED', error = $2, finished_at = now(), updated_at = now(), revision = r.revision + 1
      WHERE r.id = $1 AND ${statusIs("r", "QUEUED")} AND r.started_at IS NULL AND r.expires_at <= now()
      RETURNING r.id, r.task_id, r.parent_run_id, r.resume_parent, ${notifyRun("r", "$3")}`,

    /** Metadata as it was before `seq`, for a fork. */
    metadataBefore: `
      UPDATE ${s}.runs SET metadata = coalesce((SELECT metadata FROM ${s}.run_metadata_history
        WHERE run_id = $2 AND seq < $3 ORDER BY seq DESC LIMIT 1), '{}'::jsonb)
      WHERE id = $1`,

    /**
     * Ends an execution that holds the lease inside a caller's transaction: a final state, or back
     * to the queue. (Ends outside a transaction ride the journal's batches, see journal.writeMany.)
     * $7: a caller in this process waits for the run's end, which returns the finished run (`endedRun`).
     */
    release: `
      UPDATE ${s}.runs r SET status = $3::text, output = coalesce($4, r.output), error = $5, lease = NULL,
        finished_at = CASE WHEN $3 IN ('SUCCESS', 'FAILURE', 'CANCELED') THEN now() ELSE NULL END,
        updated_at = now(), revision = r.revision + 1, metadata_search = r.metadata
      WHERE r.id = $1 AND r.lease = $2 AND ${statusIs("r", "EXECUTING")}
      RETURNING r.id, ${notifyRun("r", "$6")}, ${endedRun(s, "r", "$7::boolean")} AS run`,

    /** Cancels the run and every unfinished run below it (children, their children, …), locked in id order (see `lockOrder`). */
    cancel: `
      WITH RECURSIVE tree AS (
        SELECT id FROM ${s}.runs WHERE id = $1
        UNION SELECT c.id FROM ${s}.runs c JOIN tree t ON c.parent_run_id = t.id
      ), unfinished AS (
        SELECT r.id, r.status FROM ${s}.runs r WHERE r.id IN (SELECT id FROM tree) AND r.status NOT IN ${finished}
        ORDER BY ${lockOrder("r")} FOR NO KEY UPDATE OF r
      )
      UPDATE ${s}.runs r SET status = 'CANCELED', lease = NULL, finished_at = now(), updated_at = now(),
        revision = r.revision + 1, error = $2
      FROM unfinished WHERE r.id = unfinished.id
      RETURNING r.id, r.parent_run_id, r.resume_parent, r.revision, unfinished.status = 'EXECUTING' AS was_executing,
        ${notifyRun("r", "$3")}`,

    /** Tells every engine which runs to stop, when the cancel commits. */
    announceCancel: `SELECT pg_notify($1, id) FROM unnest($2::text[]) AS id`,

    /**
     * A failed run resumes: failed journal entries stay and are re-executed, completed ones replay.
     * A run canceled while it waited in a limited queue ranks there from its retry job, not from then.
     */
    requeue: `
      WITH reset AS (
        UPDATE ${s}.journal j SET attempts_before_retry = ${entryAttempts("j")} WHERE run_id = $1 AND status = 'failed'
          AND EXISTS (SELECT 1 FROM ${s}.runs WHERE id = $1 AND status IN ('FAILURE', 'CANCELED')))
      UPDATE ${s}.runs r SET status = 'QUEUED', error = NULL, output = NULL, finished_at = NULL, lease = NULL,
        updated_at = now(), revision = r.revision + 1, executed_ms = 0, queue_ready_at = NULL
      WHERE r.id = $1 AND r.status IN ('FAILURE', 'CANCELED')
      RETURNING r.id, ${notifyRun("r", "$2")}`,

    get: `
      SELECT ${runColumns("r")}, (SELECT e.name FROM ${s}.events e WHERE e.id = r.event_id) AS event_name, ${runWait(s, "r")}
      FROM ${s}.runs r WHERE r.id = $1`,

    /** `get` of the runs $1, in no particular order: reads made together (polls waking at once) share one statement. */
    getMany: `
      SELECT ${runColumns("r")}, (SELECT e.name FROM ${s}.events e WHERE e.id = r.event_id) AS event_name, ${runWait(s, "r")}
      FROM ${s}.runs r WHERE r.id = ANY($1::text[])`,

    state: `SELECT status, lease FROM ${s}.runs WHERE id = $1`,

    /**
     * Runs for `durably check`, each with its journal; an empty one is checked too: a run that
     * succeeded without an io call diverges from code that now makes one.
     */
    toCheck: `
      SELECT ${runColumns("r")}, (SELECT e.name FROM ${s}.events e WHERE e.id = r.event_id) AS event_name,${journalTuples(s, "r.id")} AS journal
      FROM ${s}.runs r
      WHERE ($1::text IS NULL OR r.id = $1) AND ($2::text IS NULL OR r.task_id = $2)
        AND ($3::timestamptz IS NULL OR r.created_at >= $3)
      ORDER BY r.id`,

    byEvent: `SELECT ${runColumns("r")}, NULL AS event_name, ${runWait(s, "r")} FROM ${s}.runs r WHERE r.event_id = $1 ORDER BY r.created_at, r.id`,

    statusesOf: `SELECT id, status, finished_at FROM ${s}.runs WHERE id = ANY($1)`,

    /**
     * Adds an execution's time ($2 ms) to a run under a maxDuration when the execution lets it go,
     * and keeps the limit it ran under ($3 ms, the task's unless the trigger gave one), to show.
     */
    addExecutedTime: `UPDATE ${s}.runs SET executed_ms = executed_ms + $2, max_duration_ms = $3 WHERE id = $1`,
  };
}
