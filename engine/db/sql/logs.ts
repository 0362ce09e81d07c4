/** Statements on `run_logs`, the lines a run's code logged. */
export function logStatements(s: string) {
  const columns = `id::text AS id, seq, attempt, level, message, fields, at`;
  return {
    /**
     * Lines of any runs in one statement. A line whose key (run, journal position, attempt,
     * index) is stored already, written again by a replay, is skipped. The runs that got lines
     * are announced on `$9` at commit (`<runId>:0`, at most 200 a notification: NOTIFY holds 8000 bytes).
     */
    insertMany: `
      WITH added AS (
        INSERT INTO ${s}.run_logs (run_id, seq, attempt, idx, level, message, fields, at)
        SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[])
        ON CONFLICT DO NOTHING
        RETURNING run_id
      ), runs AS (SELECT DISTINCT run_id FROM added), numbered AS (SELECT run_id, row_number() OVER () / 200 AS chunk FROM runs)
      SELECT pg_notify($9, string_agg(run_id || ':0', ',')) FROM numbered GROUP BY chunk`,
    /**
     * A run's lines after the cursor `$2` in the order they were written, `$3` at most; `$4`
     * levels (null: all), `$5` a pattern the message or a field's text must contain (null: any).
     */
    page: `
      SELECT ${columns} FROM ${s}.run_logs
      WHERE run_id = $1 AND id > $2
        AND ($4::text[] IS NULL OR level = ANY ($4))
        AND ($5::text IS NULL OR message ILIKE $5 OR fields::text ILIKE $5)
      ORDER BY id LIMIT $3`,
  };
}
