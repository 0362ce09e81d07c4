import type { ListRunsFilter, RunList, RunStatus } from "../sdk/types.ts";
import { RUN_STATUSES } from "../wire/index.ts";
import type { Database } from "./db/database.ts";
import { toRun, type RunReadRow } from "./db/rows.ts";
import type { PageShape, RunListFilter } from "./db/sql/run-list.ts";
import type { Statements } from "./db/sql/index.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";

/** Counts by status for a run list: exact, except those in `estimated` (PostgreSQL's estimates). */
export interface RunCountsResult {
  counts: Record<RunStatus, number>;
  estimated: RunStatus[];
}

/**
 * A status the planner expects fewer runs than this of is counted exactly; above it, its estimate
 * stands, labelled as one: counting 850,000 runs read them all on every request (130–260 ms at
 * a million runs), where the estimate costs one plan.
 */
export const EXACT_BELOW = 1_000;
/** An exact count stops here (an estimate far too low) and is reported as an estimate. */
export const COUNT_CAP = 10_000;
/** The share of the runs under which a jsonpath's estimate is the statistics' floor (1% with the default statistics target). */
const UNSURE_SHARE = 0.02;

function filterOf(filter: ListRunsFilter): RunListFilter {
  const statuses = filter.status === undefined ? null : Array.isArray(filter.status) ? filter.status : [filter.status];
  return {
    statuses: statuses && statuses.length ? statuses : null,
    task: filter.taskIdentifier ?? null,
    tag: filter.tag ?? null,
    eventId: filter.eventId ?? null,
    from: filter.from ?? null,
    to: filter.to ?? null,
    metadataKey: filter.metadataKey ?? null,
    metadataValue: filter.metadataValue ?? null,
  };
}

export async function listRuns(db: Database, sql: Statements, filter: ListRunsFilter): Promise<RunList> {
  const limit = Math.min(Math.max(filter.limit ?? 20, 1), 100);
  const after = filter.cursor ? decodeCursor(filter.cursor) : null;
  const f = filterOf(filter);
  const read = async (shape: PageShape) => {
    const { text, values } = sql.runList.page(f, after, limit + 1, shape);
    return (await db.query<RunReadRow & { created_us: string }>(text, values)).rows;
  };
  let rows: Awaited<ReturnType<typeof read>>;
  if (f.metadataKey !== null && f.metadataValue) {
    // A full page among the newest runs is the page; short of one, the index knows them all (PageShape).
    rows = await read("window");
    if (rows.length <= limit) rows = await read("sorted");
  } else {
    rows = await read("plain");
  }
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(toRun), nextCursor: rows.length > limit && last ? encodeCursor({ createdUs: last.created_us, id: last.id }) : null };
}

/**
 * Runs per status that the filter matches, its status left out (each status chip keeps its count):
 * PostgreSQL's estimate for a status it expects EXACT_BELOW runs or more of, and an exact count,
 * in one statement, for the others. Three statements whatever the filter, none reading more than
 * COUNT_CAP runs.
 */
export async function countRuns(db: Database, sql: Statements, schema: string, filter: ListRunsFilter): Promise<RunCountsResult> {
  const f = filterOf(filter);
  const plan = sql.runList.estimate(f);
  const [planned, shares] = await Promise.all([
    db.query<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }>(plan.text, plan.values),
    db.query<{ status: RunStatus; share: number; runs: number }>(sql.runList.statusShares, [schema]),
  ]);
  const total = planned.rows[0]!["QUERY PLAN"][0].Plan["Plan Rows"];
  const guess = Object.fromEntries(RUN_STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>;
  for (const { status, share } of shares.rows) if (status in guess) guess[status] = Math.round(total * share);
  // A metadata value's estimate at the statistics' floor (PageShape) says only "rare or not sampled":
  // its runs are counted, which the metadata index does at once for a rare one.
  const unsure = f.metadataValue !== null && f.metadataValue !== "" && total <= UNSURE_SHARE * (shares.rows[0]?.runs ?? 0);
  const small = RUN_STATUSES.filter((status) => unsure || guess[status] < EXACT_BELOW);
  const counts = { ...guess };
  const estimated = RUN_STATUSES.filter((status) => !small.includes(status));
  if (small.length) {
    const count = sql.runList.count(f, small, COUNT_CAP);
    const { rows } = await db.query<{ status: RunStatus; n: number }>(count.text, count.values);
    const exact = Object.fromEntries(small.map((status) => [status, 0])) as Record<RunStatus, number>;
    for (const row of rows) exact[row.status] = row.n;
    // The cap reached: the statistics were far off, and these counts stopped short.
    const capped = rows.reduce((sum, row) => sum + row.n, 0) >= COUNT_CAP;
    for (const status of small) counts[status] = capped ? Math.max(exact[status], guess[status]) : exact[status];
    if (capped) estimated.push(...small);
  }
  return { counts, estimated: RUN_STATUSES.filter((status) => estimated.includes(status)) };
}
