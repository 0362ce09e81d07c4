import { entryAttempts, entryOutput } from "./journal-output.ts";
import { TAGGED } from "./run-list.ts";
import { runWait } from "./waitpoints.ts";
import { runColumns } from "./run-columns.ts";

/**
 * The journal's revision index (migration 31) holds only the entries after this seq: a run's
 * first entries are read whole through the primary key, at most this many rows (about 0.1 ms
 * warm, the worst case of entries on as many pages), so that a run of a usual length costs the
 * index nothing; past them the index keeps a catch-up on a long run from reading its whole journal.
 */
export const REVISION_INDEXED_AFTER = 64;

/** A journal row as the change feed sends it (see JsonJournalRow in db/rows.ts). */
export const journalEntryJson = (j: string) => `json_build_object('seq', ${j}.seq, 'kind', ${j}.kind, 'key', ${j}.key,
  'status', ${j}.status, 'output', ${entryOutput(j)}, 'error', ${j}.error, 'attempts', ${entryAttempts(j)}, 'started_at', ${j}.started_at,
  'finished_at', ${j}.finished_at, 'revision', ${j}.revision, 'timeout_ms', ${j}.timeout_ms)`;

/** Statements behind the HTTP API's change feed. */
export function feedStatements(s: string) {
  return {
    /**
     * What a subscriber missed, in one snapshot: the run as it is now and its journal entries
     * after a revision, up to the run's current one, with the changes its descendants made to its
     * metadata (history seq = minus the revision, so the primary key's range finds them). The
     * entries come in two parts: the first ones through the primary key, the rest through the
     * revision index, which holds only those (`REVISION_INDEXED_AFTER`).
     */
    runSince: `
      SELECT ${runColumns("r")}, (SELECT e.name FROM ${s}.events e WHERE e.id = r.event_id) AS event_name, ${runWait(s, "r")},
        coalesce((SELECT json_agg(${journalEntryJson("j")} ORDER BY j.revision) FROM (
             SELECT * FROM ${s}.journal j WHERE j.run_id = r.id AND j.seq <= ${REVISION_INDEXED_AFTER} AND j.revision > $2 AND j.revision <= r.revision
             UNION ALL
             SELECT * FROM ${s}.journal j WHERE j.run_id = r.id AND j.seq > ${REVISION_INDEXED_AFTER} AND j.revision > $2 AND j.revision <= r.revision
           ) AS j), '[]'::json) AS entries,
        coalesce((SELECT json_agg(json_build_object('seq', h.seq, 'op', h.op, 'key', h.key, 'value', h.value, 'metadata', h.metadata,
             'at', h.at, 'child_run_id', h.child_run_id, 'revision', h.revision) ORDER BY h.revision)
           FROM ${s}.run_metadata_history h WHERE h.run_id = r.id AND h.seq < -$2::bigint AND h.seq >= -r.revision), '[]'::json) AS descendant_changes
      FROM ${s}.runs r WHERE r.id = $1`,
    /** Runs by id, for subscriptions to a batch and to a tag; a missing id has no row. */
    runs: `
      SELECT ${runColumns("r")}, (SELECT e.name FROM ${s}.events e WHERE e.id = r.event_id) AS event_name, ${runWait(s, "r")}
      FROM ${s}.runs r WHERE r.id = ANY($1::text[]) AND ($2::text IS NULL OR r.tags @> ARRAY[$2::text])`,
    /** The newest runs carrying tag $1: where a subscription to the tag starts. */
    tagged: `
      SELECT ${runColumns("r")}, (SELECT e.name FROM ${s}.events e WHERE e.id = r.event_id) AS event_name, ${runWait(s, "r")}
      FROM ${s}.runs r WHERE r.tags @> ARRAY[$1::text] AND ${TAGGED} ORDER BY r.id DESC LIMIT $2`,
  };
}
