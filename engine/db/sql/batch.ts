/**
 * The items of a batched statement's JSON array parameter as rows of `columns`. It reads them
 * through `batch_items` (migrations 000004 and 000009), estimated at one row so that the planner
 * probes each item's run by primary key; a PL/pgSQL function is never inlined, so that estimate
 * holds.
 */
export function batchItems(s: string, param: string, columns: string): string {
  return `SELECT x.* FROM ${s}.batch_items(${param}::jsonb) AS b(item), jsonb_to_record(b.item) AS x(${columns})`;
}
