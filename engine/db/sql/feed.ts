/** Statements behind the HTTP API's change feed and scoped reads. */
export function feedStatements(s: string) {
  return {
    /** What a subscriber missed: journal entries between two revisions of the run. */
    journalSince: `
      SELECT seq, kind, key, status, output, error, attempts, started_at, finished_at, revision
      FROM ${s}.journal WHERE run_id = $1 AND revision > $2 AND revision <= $3 ORDER BY revision`,

    /** Whether a run is visible to a token scoped to run ids and tags. */
    inScope: `SELECT 1 FROM ${s}.runs WHERE id = $1 AND (id = ANY($2::text[]) OR tags && $3::text[])`,

    firstRunOfEvent: `SELECT id FROM ${s}.runs WHERE event_id = $1 ORDER BY id LIMIT 1`,
  };
}
