import { chained, metadataContent } from "./audit.ts";
import { notifyRun } from "./notify.ts";

/** Statements on `run_metadata_history`, the audit trail of every metadata change, and on another run's metadata. */
export function metadataStatements(s: string) {
  return {
    /** A fork's metadata changes before the fork point (seq 0, the trigger's, is written by the insert). */
    copyBefore: `
      INSERT INTO ${s}.run_metadata_history (run_id, seq, op, key, value, metadata, at)
      SELECT $1, seq, op, key, value, metadata, at FROM ${s}.run_metadata_history WHERE run_id = $2 AND seq > 0 AND seq < $3`,
    /** Oldest first: rows from before migration 14 have no revision and come first, in seq order. */
    history: `
      SELECT seq, op, key, value, metadata, at, child_run_id FROM ${s}.run_metadata_history
      WHERE run_id = $1 ORDER BY coalesce(revision, 0), seq`,

    /** The run's parent, and the root of its tree (itself when it has no parent). */
    ancestors: `
      WITH RECURSIVE up AS (
        SELECT id, parent_run_id, 0 AS depth FROM ${s}.runs WHERE id = $1
        UNION ALL
        SELECT r.id, r.parent_run_id, up.depth + 1 FROM ${s}.runs r JOIN up ON r.id = up.parent_run_id
      )
      SELECT (SELECT parent_run_id FROM up WHERE depth = 0) AS parent, (SELECT id FROM up ORDER BY depth DESC LIMIT 1) AS root`,

    /** Locks another run's row for a change its descendant makes to its metadata. */
    lockMetadata: `SELECT metadata FROM ${s}.runs WHERE id = $1 FOR UPDATE`,

    /**
     * A descendant's change to this run's metadata: the run moves to a new revision, the change
     * joins its history at seq = minus that revision, with the descendant's id, and streams are told.
     * $1 run, $2 metadata after, $3 op, $4 key, $5 value, $6 descendant, $7 channel.
     */
    changeByDescendant: `
      WITH r AS (
        UPDATE ${s}.runs r SET metadata = $2::jsonb, revision = r.revision + 1, updated_at = now(),
          audit_hash = ${chained("r.audit_hash", metadataContent("r.id", "-(r.revision + 1)", "$3", "$4", "$5", "$2", "$6", "now()"))}
        WHERE r.id = $1 RETURNING r.id, r.revision, r.status, r.updated_at, r.audit_hash
      ), h AS (
        INSERT INTO ${s}.run_metadata_history (run_id, seq, op, key, value, metadata, at, child_run_id, revision, audit_hash)
        SELECT r.id, -r.revision, $3, $4, $5::jsonb, $2::jsonb, r.updated_at, $6, r.revision, r.audit_hash FROM r
      )
      SELECT r.revision, ${notifyRun("r", "$7")} FROM r`,
  };
}
