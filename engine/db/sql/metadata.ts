/** Statements on `run_metadata_history`, the audit trail of every metadata change. */
export function metadataStatements(s: string) {
  return {
    /** A fork's metadata changes before the fork point (seq 0, the trigger's, is written by the insert). */
    copyBefore: `
      INSERT INTO ${s}.run_metadata_history (run_id, seq, op, key, value, metadata, at)
      SELECT $1, seq, op, key, value, metadata, at FROM ${s}.run_metadata_history WHERE run_id = $2 AND seq > 0 AND seq < $3`,
    history: `SELECT seq, op, key, value, metadata, at FROM ${s}.run_metadata_history WHERE run_id = $1 ORDER BY seq`,
  };
}
