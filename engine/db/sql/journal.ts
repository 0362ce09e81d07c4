import { chained, metadataContent, statusContent } from "./audit.ts";
import { batchItems } from "./batch.ts";
import { journalEntryJson } from "./feed.ts";
import { entryAttempts, entryOutput } from "./journal-output.ts";
import { searchedMetadata } from "./metadata-search.ts";
import { notifiedCte, notifyRun, sent } from "./notify.ts";
import { claimReadyCtes, endedRun } from "./runs.ts";
import { statusIs } from "./status-is.ts";

/** Statements on `journal`, the one source of truth for replay. */
export function journalStatements(s: string) {
  return {
    /**
     * Records a batch of io calls, at most one per run, each fenced on its run's lease and
     * state. Each write bumps its run's revision (the row lock orders a run's writes) and
     * notifies — all runs in the batch share one statement and one commit, so Postgres's
     * cluster-wide notify lock is taken once per batch. `next_status` hands the run back
     * (WAITING, QUEUED) in the same statement. An item without `seq` ends its run's execution
     * instead (`next_status` its final state, with `run_output`, `run_error`): runs finishing
     * ride the same commit as the steps of others, and so do claims of up to $3 ready runs for
     * the slots the worker has free. Returns a row per item that landed (`claimed` null) and a
     * row per claimed run (`claimed` the run as JSON, as `runs.claimReady` returns it). A
     * landed entry of a run in $4 (the runs this process's live streams follow) comes back as
     * the change feed sends it (`entry`); an end whose item is `awaited` (a caller here waits for
     * the run's end) returns the finished run (`run`, `endedRun` in ./runs.ts). A write that meets a completed
     * entry fails the whole statement (`replaceFailedEntry`). The journal rows come from the
     * runs update's RETURNING, not from a join of two CTEs: Postgres estimates each at one row
     * and would join them by comparing every item with every other.
     */
    writeMany: writeJournal(s, false),
    /** `writeMany` for a batch with metadata writes: each also sets its run's metadata and records the change. */
    writeManyWithMetadata: writeJournal(s, true),
    /**
     * `writeMany` and `writeManyWithMetadata` for a batch that claims no run, with $3 the followed
     * runs: most batches. The claim's part of the plan (a second update of runs, the claimed run
     * as JSON with its journal) costs its start-up at every execution, run or not: about 35 µs of
     * an empty batch's 160 µs of backend CPU.
     */
    writeManyNoClaim: writeJournal(s, false, false),
    writeManyWithMetadataNoClaim: writeJournal(s, true, false),
    /**
     * One io call, as `writeMany` records it, with plain parameters: a lone write (a run stepping
     * on its own, a transactional step) skips the batch's JSON decoding and aggregation.
     * $1 run, $2 lease, $3 seq, $4 kind, $5 key, $6 status, $7 output, $8 error, $9 attempts,
     * $10 started_at, $11 next_status, $12 channel; with metadata $13 true (the write changes the metadata), $14 op, $15 key,
     * $16 value; then ($13, or $17 with metadata) whether a live stream in this process follows the run, and
     * last ($14, or $18) the step's timeout in ms.
     */
    writeOne: writeOne(s, false),
    writeOneWithMetadata: writeOne(s, true),

    /**
     * Records a cancel in each canceled run's journal, after its last entry. A statement of its
     * own after the cancel, so it sees every entry committed before the cancel took the row lock.
     */
    cancelMarkers: `
      INSERT INTO ${s}.journal (run_id, seq, kind, key, status, error, revision, started_at)
      SELECT r.id, coalesce((SELECT max(j.seq) FROM ${s}.journal j WHERE j.run_id = r.id), 0) + 1,
        'cancel', $2, 'completed', $3, r.revision, now()
      FROM ${s}.runs r WHERE r.id = ANY($1)
      ON CONFLICT (run_id, seq) DO NOTHING`,

    /** Whether the run's journal records a call of the hook $2. */
    hookRecorded: `SELECT 1 FROM ${s}.journal WHERE run_id = $1 AND kind = 'hook' AND key = $2`,

    /**
     * Records a call of the hook $2 (begun at $3) on a run no execution holds (`onCancel` of a
     * CANCELED run), unless one is recorded already; the run's revision grows so live views see it.
     */
    hookOnEndedRun: `
      WITH bumped AS (
        UPDATE ${s}.runs r SET revision = r.revision + 1, updated_at = now()
        WHERE r.id = $1 AND NOT EXISTS (SELECT 1 FROM ${s}.journal j WHERE j.run_id = $1 AND j.kind = 'hook' AND j.key = $2)
        RETURNING r.id, r.revision, r.status
      ), entry AS (
        INSERT INTO ${s}.journal (run_id, seq, kind, key, status, revision, started_at, finished_at)
        SELECT b.id, coalesce((SELECT max(j.seq) FROM ${s}.journal j WHERE j.run_id = b.id), 0) + 1, 'hook', $2, 'completed',
          b.revision, $3, now()
        FROM bumped b
      )
      SELECT ${notifyRun("b", "$4")} FROM bumped b`,

    /** A fork's journal: the original's entries before the fork point, as they were. */
    copyBefore: `
      INSERT INTO ${s}.journal (run_id, seq, kind, key, status, output, output_json, error, attempts, revision, started_at, finished_at, timeout_ms)
      SELECT $1, seq, kind, key, status, output, output_json, error, attempts, 1, started_at, finished_at, timeout_ms
      FROM ${s}.journal WHERE run_id = $2 AND seq < $3`,

    list: `
      SELECT seq, kind, key, status, ${entryOutput("j")} AS output, error, ${entryAttempts("j")} AS attempts, started_at, finished_at, revision, timeout_ms
      FROM ${s}.journal j WHERE run_id = $1 ORDER BY seq`,
  };
}

/** The fence's state check (./status-is.ts): each item's run is probed by key. */
const stillExecuting = statusIs("run", "EXECUTING");

/**
 * A write may replace a failed entry (a retried step) and nothing else. Meeting a completed one,
 * it fails its whole statement (SQLSTATE `ENTRY_COMPLETED`, migration 11), because the run's
 * update in the same statement has already gone through: a write that merely inserted nothing
 * would move the run's revision, metadata or state without its journal. The refusal is evaluated
 * only on such a conflict, so it costs the hot path nothing, and it rides the journal's key, so no
 * plan can make it expensive.
 */
const replaceFailedEntry = (s: string) => `ON CONFLICT (run_id, seq) DO UPDATE SET
        status = CASE WHEN old.status = 'failed' THEN excluded.status ELSE ${s}.refuse_completed_entry(old.run_id, old.seq) END,
        output = NULL, output_json = excluded.output_json, error = excluded.error, attempts = excluded.attempts, revision = excluded.revision,
        started_at = excluded.started_at, finished_at = now(), timeout_ms = excluded.timeout_ms, audit_hash = excluded.audit_hash`;

/** The SQLSTATE of a write refused for meeting a completed entry (see `replaceFailedEntry`). */
export const ENTRY_COMPLETED = "DU001";

/**
 * An entry as a run's live stream sends it, returned by the write that lands it when a stream in
 * this process follows the run (`followed`), so that it sends the entry, and the run as of it,
 * without reading them back (engine/notify/committed-entries.ts). Nobody else reads them:
 * building them for every status cost about 3 µs of Postgres CPU a write in a batch of 16 (5% of
 * the statement alone; 2–3% of the backends' CPU per run in the throughput bench).
 */
const pushedEntry = (followed: string) => `CASE WHEN ${followed} THEN ${journalEntryJson("old")} END AS entry`;

/**
 * A run's own metadata write applied to the row's metadata rather than replacing it: its children
 * (metadata.parent / metadata.root) may have changed it since this execution read it. The entry
 * records the metadata as it came out, which a replay restores and the live streams push. A
 * `set`, by far the most common, is `apply_metadata_op`'s own expression written out, which spares
 * each write a PL/pgSQL call.
 */
const mergedMetadata = (s: string, op: string, key: string, value: string) =>
  `CASE WHEN ${op} = 'set' THEN run.metadata || jsonb_build_object(${key}, coalesce(${value}, 'null'::jsonb))
            ELSE ${s}.apply_metadata_op(run.metadata, ${op}, ${key}, ${value}) END`;

/**
 * The SET of a run's metadata, its searched copy (./metadata-search.ts) and chain head for a write
 * of the given values, `runStatus` the run's status after it: a status entry or a metadata change
 * moves the head to its own hash (engine/db/sql/audit.ts), which the version row then stores; any
 * other entry leaves it. The merged metadata is computed once, for all three.
 */
function chainedVersion(
  s: string, metadata: boolean,
  v: { run: string; seq: string; kind: string; key: string; status: string; output: string; md: string; op: string; mdKey: string; value: string; runStatus: string },
): string {
  const status = `CASE WHEN ${v.kind} = 'status' THEN ${chained("run.audit_hash", statusContent(v.run, v.seq, v.key, v.status, v.output, "now()"))} ELSE run.audit_hash END`;
  if (!metadata) return `audit_hash = ${status}, metadata_search = ${searchedMetadata("run", v.runStatus, "run.metadata")}`;
  return `(metadata, metadata_search, audit_hash) = (
          SELECT m.md, ${searchedMetadata("run", v.runStatus, "m.md")}, CASE WHEN ${v.md} IS NULL THEN ${status}
            ELSE ${chained("run.audit_hash", metadataContent(v.run, v.seq, v.op, v.mdKey, v.value, "m.md", "NULL", "now()"))} END
          FROM (SELECT CASE WHEN ${v.md} IS NULL THEN run.metadata ELSE ${mergedMetadata(s, v.op, v.mdKey, v.value)} END AS md) AS m)`;
}

/**
 * A write is a sign of life: the heartbeat skips a row locked by a write (engine/db/sql/runs.ts), so
 * a run writing without pause could otherwise miss every heartbeat and be handed to another worker
 * while its own still runs it. A run started by a pg-boss job has none (its job's counts).
 */
const HEARTBEAT = "heartbeat_at = CASE WHEN run.heartbeat_at IS NOT NULL THEN now() END";

function writeJournal(s: string, metadata: boolean, claims = true): string {
  return `
    WITH w AS (
      ${batchItems(s, "$1", `run_id text, lease uuid, seq integer, kind text, key text, status text, output text, error jsonb,
        attempts integer, started_at timestamptz, next_status text, run_output jsonb, run_error jsonb, awaited boolean, timeout_ms integer${metadata ? ", md boolean, md_op text, md_key text, md_value jsonb" : ""}`)}
    ), r AS (
      UPDATE ${s}.runs AS run SET revision = run.revision + 1, updated_at = now(), ${HEARTBEAT},
        status = coalesce(w.next_status, run.status),
        lease = CASE WHEN w.next_status IS NULL THEN run.lease ELSE NULL END,
        output = CASE WHEN w.seq IS NULL THEN coalesce(w.run_output, run.output) ELSE run.output END,
        error = CASE WHEN w.seq IS NULL THEN w.run_error ELSE run.error END,
        finished_at = CASE WHEN w.next_status IN ('SUCCESS', 'FAILURE', 'CANCELED') THEN now() ELSE run.finished_at END,
        ${chainedVersion(s, metadata, { run: "w.run_id", seq: "w.seq", kind: "w.kind", key: "w.key", status: "w.status", output: "w.output", md: "w.md", op: "w.md_op", mdKey: "w.md_key", value: "w.md_value", runStatus: "coalesce(w.next_status, run.status)" })}
      FROM w WHERE run.id = w.run_id AND run.lease = w.lease AND ${stillExecuting}
      RETURNING run.id, run.revision, w.seq IS NULL AS ended, run.status IN ('SUCCESS', 'FAILURE', 'CANCELED') AS finished, w.seq, w.kind, w.key, w.status AS entry_status,
        w.output AS entry_output, w.error AS entry_error, w.attempts, w.started_at AS entry_started_at, w.timeout_ms, run.audit_hash,
        ${endedRun(s, "run", "w.awaited")} AS ended_run${metadata ? `,
        CASE WHEN w.md IS NOT NULL THEN run.metadata END AS md, w.md_op, w.md_key, w.md_value` : ""}
    ), j AS (
      INSERT INTO ${s}.journal AS old (run_id, seq, kind, key, status, output_json, error, attempts, revision, started_at, timeout_ms, audit_hash)
      SELECT r.id, r.seq, r.kind, r.key, r.entry_status, ${metadata ? "CASE WHEN r.md IS NULL THEN r.entry_output::json ELSE json_build_object('json', r.md) END" : "r.entry_output::json"},
        r.entry_error, nullif(r.attempts, 1), r.revision, r.entry_started_at, r.timeout_ms, CASE WHEN r.kind = 'status'${metadata ? " AND r.md IS NULL" : ""} THEN r.audit_hash END
      FROM r WHERE NOT r.ended
      ${replaceFailedEntry(s)}
      RETURNING run_id, revision, ${pushedEntry(`old.run_id = ANY(${claims ? "$4" : "$3"}::text[])`)}
    ), landed AS (
      SELECT run_id, revision, entry, false AS finished, NULL::jsonb AS run FROM j
      UNION ALL SELECT id, revision, NULL, finished, ended_run FROM r WHERE ended
    )${metadata ? `, mh AS (
      INSERT INTO ${s}.run_metadata_history (run_id, seq, op, key, value, metadata, revision, audit_hash)
      SELECT r.id, r.seq, r.md_op, r.md_key, r.md_value, r.md, r.revision, r.audit_hash FROM r JOIN j ON j.run_id = r.id
      WHERE r.md IS NOT NULL
    )` : ""}
    ${claims ? `, ${claimReadyCtes(s, "$3::integer")}
    , changed AS (SELECT run_id, revision, finished FROM landed UNION ALL SELECT id, revision, false FROM claimed)` : `
    , changed AS (SELECT run_id, revision, finished FROM landed)`}
    , ${notifiedCte("changed", "$2", { id: "run_id", chunked: true, finished: "finished" })}
    SELECT u.* FROM (
      SELECT landed.run_id, landed.entry, landed.run, NULL::json AS claimed FROM landed${claims ? `
      UNION ALL SELECT claimed.id, NULL, NULL, row_to_json(claimed) FROM claimed` : ""}
    ) AS u, ${sent}`;
}

function writeOne(s: string, metadata: boolean): string {
  return `
    WITH r AS (
      UPDATE ${s}.runs AS run SET revision = run.revision + 1, updated_at = now(), ${HEARTBEAT},
        status = coalesce($11::text, run.status),
        lease = CASE WHEN $11::text IS NULL THEN run.lease ELSE NULL END,
        ${chainedVersion(s, metadata, { run: "$1::text", seq: "$3::integer", kind: "$4::text", key: "$5::text", status: `$6::${s}.entry_status`, output: "$7::text", md: "$13::boolean", op: "$14::text", mdKey: "$15::text", value: "$16::jsonb", runStatus: "coalesce($11::text, run.status)" })}
      WHERE run.id = $1 AND run.lease = $2 AND ${stillExecuting}
      RETURNING run.id, run.revision, run.audit_hash${metadata ? ", run.metadata AS md" : ""}
    ), j AS (
      INSERT INTO ${s}.journal AS old (run_id, seq, kind, key, status, output_json, error, attempts, revision, started_at, timeout_ms, audit_hash)
      SELECT r.id, $3, $4, $5, $6, ${metadata ? "CASE WHEN $13::boolean IS NULL THEN $7::text::json ELSE json_build_object('json', r.md) END" : "$7::text::json"}, $8, nullif($9::integer, 1), r.revision, $10,
        $${metadata ? 18 : 14}::integer, CASE WHEN $4::text = 'status'${metadata ? " AND $13::boolean IS NULL" : ""} THEN r.audit_hash END FROM r
      ${replaceFailedEntry(s)}
      RETURNING run_id, revision, ${pushedEntry(`$${metadata ? 17 : 13}::boolean`)}
    )${metadata ? `, mh AS (
      INSERT INTO ${s}.run_metadata_history (run_id, seq, op, key, value, metadata, revision, audit_hash)
      SELECT j.run_id, $3, $14, $15, $16::jsonb, r.md, j.revision, r.audit_hash FROM j, r
    )` : ""}
    SELECT j.run_id, j.revision, j.entry, pg_notify($12, j.run_id || ':' || j.revision) FROM j`;
}
