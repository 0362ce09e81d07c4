/** Statements on `schedules`; the pg-boss job chain that fires them lives in schedules/schedules.ts. */
export function scheduleStatements(s: string) {
  const columns = "id, task_id, cron, timezone, payload, deduplication_key, declarative, next_at, created_at, updated_at, active, last_at";
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
    /** After firing occurrence `$3` (null: none fired), the next is `$2`. */
    advance: `UPDATE ${s}.schedules SET next_at = $2, last_at = coalesce($3, last_at) WHERE id = $1`,
    /** Pauses (`$2` false) or resumes a schedule; a resume starts its chain again at `$3`. */
    setActive: `
      UPDATE ${s}.schedules SET active = $2, next_at = coalesce($3, next_at), updated_at = now()
      WHERE id = $1 RETURNING ${columns}`,
    list: `SELECT ${columns} FROM ${s}.schedules WHERE ($1::text IS NULL OR task_id = $1) ORDER BY created_at, id`,
    delete: `DELETE FROM ${s}.schedules WHERE id = $1 RETURNING id`,
  };
}
