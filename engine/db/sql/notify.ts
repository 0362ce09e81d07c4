/**
 * Run-change notifications on the run channel: `<runId>:<revision>`, or several such joined by
 * commas. Postgres queues, signals and delivers every NOTIFY on its own, so a batched statement
 * names all the runs it changed in one notification. Payloads must stay below Postgres's
 * 8000-byte limit: about 45 bytes a run allows the 64 runs of a write batch; statements that
 * can change more (triggers, claims) send one notification per hundred runs.
 */
export const notifyRun = (alias: string, param: string) => `pg_notify(${param}, ${alias}.id || ':' || ${alias}.revision)`;

type NotifyOptions = { id?: string; alsoNotify?: string; chunked?: boolean };

/**
 * `notified`: one notification naming every run in `cte` (its `id` and `revision` columns).
 * `chunked` splits a statement of unbounded size into notifications of a hundred runs. A
 * statement must read `notified` (see `sent` below) for it to run.
 */
export function notifiedCte(cte: string, param: string, options: NotifyOptions = {}): string {
  const id = options.id ?? "id";
  const also = options.alsoNotify ? `, pg_notify(${options.alsoNotify}, '')` : "";
  const notified = options.chunked
    ? `SELECT pg_notify(${param}, string_agg(c.${id} || ':' || c.revision, ','))${also}
        FROM (SELECT ${id}, revision, (row_number() OVER ()) / 100 AS chunk FROM ${cte}) AS c GROUP BY c.chunk`
    : `SELECT pg_notify(${param}, string_agg(c.${id} || ':' || c.revision, ','))${also} FROM ${cte} AS c HAVING count(*) > 0`;
  return `notified AS (${notified})`;
}

/** Joined once into a statement's result, so that its `notified` runs exactly once. */
export const sent = `(SELECT count(*) FROM notified) AS sent`;

/** Ends a statement whose changed rows are in `cte`: selects them all and notifies for them together. */
export function selectNotifyingTogether(cte: string, param: string, options: NotifyOptions = {}): string {
  return `, ${notifiedCte(cte, param, options)}
      SELECT ${cte}.* FROM ${cte}, ${sent}`;
}
