/**
 * The items of a batched statement's JSON array parameter as rows of `columns`. It reads them
 * through `batch_items` (migration 000004), estimated at one row so that the planner probes each
 * item's run by primary key; WITH ORDINALITY keeps Postgres from inlining that estimate away.
 */
export function batchItems(s: string, param: string, columns: string): string {
  return `SELECT x.* FROM ${s}.batch_items(${param}::jsonb) WITH ORDINALITY AS b(item, n), jsonb_to_record(b.item) AS x(${columns})`;
}
