/**
 * Run-change notifications on the run channel: `<runId>:<revision>`, with `:end` added when the
 * change finished the run, or several such joined by commas (parsed by `runChanges`,
 * engine/notify/listener.ts). The `:end` lets a caller waiting for a result sleep through a
 * run's steps and read it once, when it is there. Postgres queues, signals and delivers every
 * NOTIFY on its own, so a batched statement names all the runs it changed in one notification.
 * Payloads must stay below Postgres's 8000-byte limit: about 40 bytes a run allows the 64 runs of
 * a write batch; statements that can change more (triggers, claims) send one notification per
 * hundred runs.
 */
const change = (id: string, revision: string, finished?: string) =>
  `${id} || ':' || ${revision}${finished ? ` || CASE WHEN ${finished} THEN ':end' ELSE '' END` : ""}`;

/** The notification of a run changed by a statement's RETURNING: `alias` is the updated row. */
export const notifyRun = (alias: string, param: string) =>
  `pg_notify(${param}, ${change(`${alias}.id`, `${alias}.revision`, `${alias}.status IN ('SUCCESS', 'FAILURE', 'CANCELED')`)})`;

/** `notifyRun` for a run just inserted, which cannot have finished. */
export const notifyNewRun = (alias: string, param: string) => `pg_notify(${param}, ${change(`${alias}.id`, `${alias}.revision`)})`;

/** `finished`: a boolean column of the runs that the statement finished; without it none did. */
type NotifyOptions = { id?: string; alsoNotify?: string; chunked?: boolean; finished?: string };

/**
 * `notified`: one notification naming every run in `cte` (its `id` and `revision` columns).
 * `chunked` splits a statement of unbounded size into notifications of a hundred runs. A
 * statement must read `notified` (see `sent` below) for it to run.
 */
export function notifiedCte(cte: string, param: string, options: NotifyOptions = {}): string {
  const id = options.id ?? "id";
  const finished = options.finished ? `c.${options.finished}` : undefined;
  const changes = `string_agg(${change(`c.${id}`, "c.revision", finished)}, ',')`;
  const also = options.alsoNotify ? `, pg_notify(${options.alsoNotify}, '')` : "";
  const notified = options.chunked
    ? `SELECT pg_notify(${param}, ${changes})${also}
        FROM (SELECT ${id}, revision${finished ? `, ${options.finished}` : ""}, (row_number() OVER ()) / 100 AS chunk FROM ${cte}) AS c GROUP BY c.chunk`
    : `SELECT pg_notify(${param}, ${changes})${also} FROM ${cte} AS c HAVING count(*) > 0`;
  return `notified AS (${notified})`;
}

/** Joined once into a statement's result, so that its `notified` runs exactly once. */
export const sent = `(SELECT count(*) FROM notified) AS sent`;

/** Ends a statement whose changed rows are in `cte`: selects them all and notifies for them together. */
export function selectNotifyingTogether(cte: string, param: string, options: NotifyOptions = {}): string {
  return `, ${notifiedCte(cte, param, options)}
      SELECT ${cte}.* FROM ${cte}, ${sent}`;
}
