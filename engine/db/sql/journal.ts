/**
 * Statements on `journal`. Every write fences on the run's lease and state, bumps the run's
 * revision, and notifies, all in one statement: one round trip and one commit per io call.
 */
export function journalStatements(s: string) {
  const write = (extra: { runSet?: string; sideEffects?: string }) => `
    WITH r AS (
      UPDATE ${s}.runs SET revision = revision + 1, updated_at = now(),
        status = coalesce($12, status), lease = CASE WHEN $12 IS NULL THEN lease ELSE NULL END
        ${extra.runSet ?? ""}
      WHERE id = $1 AND lease = $2 AND status = 'EXECUTING'
      RETURNING revision
    ), j AS (
      INSERT INTO ${s}.journal AS old (run_id, seq, kind, key, status, output, error, attempts, revision, started_at)
      SELECT $1, $3, $4, $5, $6, $7, $8, $9, r.revision, $10 FROM r
      ON CONFLICT (run_id, seq) DO UPDATE SET status = excluded.status, output = excluded.output,
        error = excluded.error, attempts = excluded.attempts, revision = excluded.revision,
        started_at = excluded.started_at, finished_at = now()
      WHERE old.status = 'failed'
      RETURNING revision, finished_at
    )${extra.sideEffects ?? ""}
    SELECT revision, finished_at, pg_notify($11, $1 || ':' || revision) FROM j`;

  return {
    write: write({}),

    writeStatus: write({
      sideEffects: `, st AS (
        INSERT INTO ${s}.run_statuses (run_id, key, label, state, data, seq)
        SELECT $1, $13, $14, $15, $16, $3 FROM j
        ON CONFLICT (run_id, key) DO UPDATE SET label = excluded.label, state = excluded.state,
          data = excluded.data, seq = excluded.seq, updated_at = now()
      ), h AS (
        INSERT INTO ${s}.run_status_history (run_id, seq, key, label, state, data)
        SELECT $1, $3, $13, $14, $15, $16 FROM j
      )`,
    }),

    writeMetadata: write({
      runSet: ", metadata = $13",
      sideEffects: `, mh AS (
        INSERT INTO ${s}.run_metadata_history (run_id, seq, op, key, value, metadata)
        SELECT $1, $3, $14, $15, $16, $13 FROM j
      )`,
    }),

    /**
     * Records a cancel in each canceled run's journal, after its last entry. A statement of its
     * own after the cancel, so it sees every entry committed before the cancel took the row lock.
     */
    cancelMarkers: `
      INSERT INTO ${s}.journal (run_id, seq, kind, key, status, error, attempts, revision, started_at)
      SELECT r.id, coalesce((SELECT max(j.seq) FROM ${s}.journal j WHERE j.run_id = r.id), 0) + 1,
        'cancel', $2, 'completed', $3, 1, r.revision, now()
      FROM ${s}.runs r WHERE r.id = ANY($1)
      ON CONFLICT (run_id, seq) DO NOTHING`,

    /** A fork's journal: the original's entries before the fork point, as they were. */
    copyBefore: `
      INSERT INTO ${s}.journal (run_id, seq, kind, key, status, output, error, attempts, revision, started_at, finished_at)
      SELECT $1, seq, kind, key, status, output, error, attempts, 1, started_at, finished_at
      FROM ${s}.journal WHERE run_id = $2 AND seq < $3`,

    list: `
      SELECT seq, kind, key, status, output, error, attempts, started_at, finished_at, revision
      FROM ${s}.journal WHERE run_id = $1 ORDER BY seq`,

    since: `
      SELECT j.seq, j.kind, j.key, j.status, j.output, j.error, j.attempts, j.started_at, j.finished_at, j.revision,
        CASE WHEN j.kind = 'metadata' THEN (SELECT mh.metadata FROM ${s}.run_metadata_history mh
          WHERE mh.run_id = j.run_id AND mh.seq = j.seq) END AS metadata
      FROM ${s}.journal j WHERE j.run_id = $1 AND j.revision > $2 ORDER BY j.revision`,
  };
}
