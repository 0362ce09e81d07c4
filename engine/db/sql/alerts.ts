/** Alert webhooks' deliveries (migrations/000027_alert_deliveries.sql). */
export function alertStatements(s: string) {
  return {
    /** $1 id, $2 event, $3 run, $4 task, $5 url, $6 body. */
    insert: `INSERT INTO ${s}.alert_deliveries (id, event, run_id, task_id, url, body) VALUES ($1, $2, $3, $4, $5, $6)`,
    get: `SELECT id, url, body, status FROM ${s}.alert_deliveries WHERE id = $1`,
    /** $1 id, $2 the attempt ({ at, status, error }), $3 the delivery's status after it. */
    recordAttempt: `
      UPDATE ${s}.alert_deliveries SET attempts = attempts || jsonb_build_array($2::jsonb), status = $3,
        delivered_at = CASE WHEN $3 = 'DELIVERED' THEN now() END
      WHERE id = $1`,
    ofRun: `SELECT id, event, run_id, task_id, url, body, status, attempts, created_at, delivered_at
      FROM ${s}.alert_deliveries WHERE run_id = $1 ORDER BY id`,
  };
}
