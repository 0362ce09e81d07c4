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

    /**
     * Whose history $1 is, the run's or a kept one's (a run has one or the other): what a public
     * token's scopes are checked against (engine/auth/access.ts). A history kept before its tags
     * were (migration 42) has none.
     */
    owner: `SELECT id, task_id, tags FROM ${s}.runs WHERE id = $1
      UNION ALL SELECT run_id, task_id, coalesce(tags, '{}') FROM ${s}.kept_histories WHERE run_id = $1
      LIMIT 1`,
  };
}
