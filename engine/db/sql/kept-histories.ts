/**
 * `kept_histories`: a purged run whose history is kept (`keepStatusHistory`, docs/retention.md)
 * until `keep_until`. Its status entries (journal, kind 'status') and metadata history stay under
 * its id, so the reads of statuses and metadata history answer from them as before; this row
 * stands in for the run row those reads start from.
 */
export function keptHistoryStatements(s: string) {
  return {
    /** The purged run as those reads describe it: id, final status, revision. */
    head: `SELECT run_id AS id, status, revision::int AS revision FROM ${s}.kept_histories WHERE run_id = $1`,
  };
}
