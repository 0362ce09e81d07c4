/** Alert webhooks' deliveries and the sweep's cursors (migrations 27, 32 and 33). */
export function alertStatements(s: string) {
  return {
    /**
     * $1 id, $2 event, $3 run, $4 task, $5 url, $6 body. Records the alert of the run's current end
     * unless it is recorded already (the ending process and a sweep can both try); returns the row
     * only when this call recorded it.
     */
    insert: `
      INSERT INTO ${s}.alert_deliveries (id, event, run_id, task_id, url, body, run_finished_at)
      SELECT $1, $2, $3, $4, $5, $6, (SELECT finished_at FROM ${s}.runs WHERE id = $3)
      ON CONFLICT (run_id, url, run_finished_at) DO NOTHING
      RETURNING id`,
    get: `SELECT id, url, body, status FROM ${s}.alert_deliveries WHERE id = $1`,
    /** $1 the delivery's id, $2 the attempt ({ at, status, error }), $3 the delivery's status after it. */
    recordAttempt: `
      UPDATE ${s}.alert_deliveries SET attempts = attempts || jsonb_build_array($2::jsonb), status = $3,
        delivered_at = CASE WHEN $3 = 'DELIVERED' THEN now() END
      WHERE id = $1`,
    ofRun: `SELECT id, event, run_id, task_id, url, body, status, attempts, created_at, delivered_at
      FROM ${s}.alert_deliveries WHERE run_id = $1 ORDER BY id`,
    /** $1 urls: a url new to the sweep starts from now, so a new alert is not sent for runs that ended before it. */
    startCursors: `INSERT INTO ${s}.alert_cursors (url, swept_to) SELECT unnest($1::text[]), now() ON CONFLICT (url) DO NOTHING`,
    /**
     * $1 url, $2 grace in seconds: its cursor and how far a sweep may move it now, unless another
     * engine is sweeping it. A statement ending a run sets finished_at at its start and commits
     * later, so the grace leaves room for ends not yet visible.
     */
    lockCursor: `SELECT swept_to, now() - make_interval(secs => $2) AS upto FROM ${s}.alert_cursors WHERE url = $1 FOR UPDATE SKIP LOCKED`,
    /**
     * $1 url, $2 from, $3 up to, $4 limit: runs that ended failed or canceled in [$2, $3] with no
     * delivery to $1 for that end, oldest end first.
     */
    missed: `
      SELECT r.id, r.task_id, r.status, r.error, r.finished_at
      FROM ${s}.runs r
      WHERE r.status IN ('FAILURE', 'CANCELED') AND r.finished_at >= $2 AND r.finished_at <= $3
        AND NOT EXISTS (SELECT 1 FROM ${s}.alert_deliveries d WHERE d.run_id = r.id AND d.url = $1 AND d.run_finished_at = r.finished_at)
      ORDER BY r.finished_at
      LIMIT $4`,
    /** $1 url, $2 the time every run ended by has been looked at. */
    advanceCursor: `UPDATE ${s}.alert_cursors SET swept_to = greatest(swept_to, $2) WHERE url = $1`,
  };
}
