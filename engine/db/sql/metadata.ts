/** Statements on `run_metadata_history`, the audit trail of every metadata change. */
export function metadataStatements(s: string) {
  return {
    history: `SELECT seq, op, key, value, metadata, at FROM ${s}.run_metadata_history WHERE run_id = $1 ORDER BY seq`,
  };
}
