/** Statements on `schedules`; the pg-boss job chain that fires them lives in schedules/schedules.ts. */
export function scheduleStatements(s: string) {
  const columns = "id, task_id, cron, timezone, payload, deduplication_key, declarative, next_at, created_at, updated_at";
  return {
    byKeyForUpdate: `SELECT ${columns} FROM ${s}.schedules WHERE deduplication_key = $1 FOR UPDATE`,
    upsert: `
      INSERT INTO ${s}.schedules (id, task_id, cron, timezone, payload, deduplication_key, declarative, next_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (deduplication_key) DO UPDATE SET task_id = excluded.task_id, cron = excluded.cron,
        timezone = excluded.timezone, payload = excluded.payload, declarative = excluded.declarative,
        next_at = excluded.next_at, updated_at = now()
      RETURNING ${columns}`,
    forUpdate: `SELECT ${columns} FROM ${s}.schedules WHERE id = $1 FOR UPDATE`,
    advance: `UPDATE ${s}.schedules SET next_at = $2 WHERE id = $1`,
    list: `SELECT ${columns} FROM ${s}.schedules WHERE ($1::text IS NULL OR task_id = $1) ORDER BY created_at, id`,
    delete: `DELETE FROM ${s}.schedules WHERE id = $1 RETURNING id`,
  };
}
