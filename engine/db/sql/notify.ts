/**
 * Run-change notifications on the run channel: `<runId>:<revision>`, or several such joined by
 * commas. Postgres queues, signals and delivers every NOTIFY on its own, so a batched statement
 * names all the runs it changed in one notification per hundred runs (payloads stay far below
 * Postgres's 8000-byte limit).
 */
export const notifyRun = (alias: string, param: string) => `pg_notify(${param}, ${alias}.id || ':' || ${alias}.revision)`;

/** Ends a statement whose changed rows are in `cte`: selects them all and notifies for them together. */
export function selectNotifyingTogether(cte: string, param: string, options: { id?: string; alsoNotify?: string } = {}): string {
  const id = options.id ?? "id";
  return `, notified AS (
        SELECT pg_notify(${param}, string_agg(c.${id} || ':' || c.revision, ',')) ${options.alsoNotify ? `, pg_notify(${options.alsoNotify}, '')` : ""}
        FROM (SELECT ${id}, revision, (row_number() OVER ()) / 100 AS chunk FROM ${cte}) AS c GROUP BY c.chunk
      )
      SELECT ${cte}.* FROM ${cte}, (SELECT count(*) FROM notified) AS sent`;
}
