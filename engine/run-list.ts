import type { ListRunsFilter, RunList, RunStatus } from "../sdk/types.ts";
import { RUN_STATUSES } from "../wire/index.ts";
import type { Database } from "./db/database.ts";
import { toRun, type RunReadRow } from "./db/rows.ts";
import type { PageShape, RunListFilter } from "./db/sql/run-list.ts";
import type { Statements } from "./db/sql/index.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";

/**
 * Counts by status for a run list: exact, except those in `estimated` (PostgreSQL's estimates from
 * the status column's statistics, with no filter but status) and those in `atLeast` (counting
 * stopped at COUNT_CAP runs: the count is a lower bound).
 */
export interface RunCountsResult {
  counts: Record<RunStatus, number>;
  estimated: RunStatus[];
  atLeast: RunStatus[];
}

/**
 * With no filter but status, a status the statistics put at this many runs or more shows their
 * estimate, labelled as one: counting 850,000 runs read them all on every request (130–260 ms at
 * a million runs), where the statistics cost one read.
 */
export const EXACT_BELOW = 1_000;
/**
 * Runs a count reads at most; past it, what it counted is a lower bound. A filter's runs by status
 * cannot be estimated soundly (the planner takes the status to be independent of the filter, so a
 * tag whose runs all failed came out 85% SUCCESS), and reading them is bound by the heap: at a
 * million runs, 1,000 runs read cost ~5 ms, 10,000 runs 0.1–1 s.
 */
export const COUNT_CAP = 1_000;
/**
 * A tag the statistics put on this share of the runs or more is counted among the newest runs,
 * not through the tag index. The tag index holds only tagged runs, so the tag's condition comes
 * with `tags <> '{}'`, which the planner takes as independent of it: a tag on a fifth of a million
 * runs came out at 7%, and once the table had grown (migration 47's copy of the metadata), the
 * capped count took the index, whose bitmap of 200,000 runs cost 20–40 ms, over reading runs until
 * it had enough (1–5 ms). Newest first, it reads the runs the list's first page has just read.
 */
export const COMMON_TAG_SHARE = 0.05;

/** The statuses a filter names, as a list; null when it names none. */
export function statusesOf(filter: Pick<ListRunsFilter, "status">): RunStatus[] | null {
  return filter.status === undefined ? null : Array.isArray(filter.status) ? filter.status : [filter.status];
}

const orEvery = (statuses: RunStatus[] | null) => (statuses?.length ? statuses : null);

/**
 * A `runs.list` filter as the run-list statements take it. A list reads no status named as every
 * status; a caller that must read it as no run (a bulk action) passes the statuses as they are.
 */
export function filterOf(filter: Omit<ListRunsFilter, "limit" | "cursor">, statuses = orEvery(statusesOf(filter))): RunListFilter {
  return {
    statuses,
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
    return (await db.queryForValues<RunReadRow & { created_us: string }>(text, values)).rows;
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
 * Runs per status that the filter matches, its status left out (each status chip keeps its count).
 * With a filter: one count of its runs, grouped by status, reading at most COUNT_CAP + 1 of them
 * through the filter's index; exact when they are fewer, lower bounds when not, but for the
 * statuses the statistics put at fewer than EXACT_BELOW runs in all (runs in flight, mostly),
 * whose runs are read through the status index, up to the cap, and the filter's counted among
 * them. With none: the statistics' estimate for a status they put at EXACT_BELOW runs or more, and the
 * others counted, up to the cap, through the status index.
 */
export async function countRuns(db: Database, sql: Statements, schema: string, filter: ListRunsFilter): Promise<RunCountsResult> {
  const f = filterOf(filter);
  const counts = Object.fromEntries(RUN_STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>;
  let counted: readonly RunStatus[] = RUN_STATUSES;
  let estimated: RunStatus[] = [];
  if (!hasFilter(f)) {
    const { rows } = await db.query<{ status: RunStatus; share: number; runs: number }>(sql.runList.statusShares, [schema]);
    for (const { status, share, runs } of rows) {
      if (status in counts && share * runs >= EXACT_BELOW) counts[status] = Math.round(share * runs);
    }
    estimated = RUN_STATUSES.filter((status) => counts[status] > 0);
    counted = RUN_STATUSES.filter((status) => !estimated.includes(status));
    if (counted.length === 0) return { counts, estimated, atLeast: [] };
  }
  const commonTag = f.tag !== null && (await tagShare(db, sql, schema, f.tag)) >= COMMON_TAG_SHARE;
  const count = sql.runList.count(f, counted.length === RUN_STATUSES.length ? null : counted, COUNT_CAP + 1, commonTag);
  const { rows } = await db.queryForValues<{ status: RunStatus; n: number }>(count.text, count.values);
  for (const row of rows) if (row.status in counts) counts[row.status] = row.n;
  if (rows.reduce((sum, row) => sum + row.n, 0) <= COUNT_CAP) return { counts, estimated, atLeast: [] };
  if (!hasFilter(f)) return { counts, estimated, atLeast: [...counted] };
  // Capped: a status absent from the runs read would show "0+", and a QUEUED run among a
  // million finished ones is what a user looks for.
  const shares = await db.query<{ status: RunStatus; share: number; runs: number }>(sql.runList.statusShares, [schema]);
  const common = shares.rows.filter(({ share, runs }) => share * runs >= EXACT_BELOW).map(({ status }) => status);
  const few = RUN_STATUSES.filter((status) => !common.includes(status));
  if (few.length) {
    const among = sql.runList.countAmong(f, few, COUNT_CAP + 1);
    const read = await db.queryForValues<{ status: RunStatus; n: number; seen: number }>(among.text, among.values);
    // More runs than the cap in those statuses: the statistics were stale, and the lower bounds stand.
    if (read.rows.reduce((sum, row) => sum + row.seen, 0) <= COUNT_CAP) {
      for (const status of few) counts[status] = read.rows.find((row) => row.status === status)?.n ?? 0;
      return { counts, estimated, atLeast: RUN_STATUSES.filter((status) => !few.includes(status)) };
    }
  }
  return { counts, estimated, atLeast: [...counted] };
}

async function tagShare(db: Database, sql: Statements, schema: string, tag: string): Promise<number> {
  const { rows } = await db.query<{ share: number }>(sql.runList.tagShare, [schema, tag]);
  return rows[0]?.share ?? 0;
}

/** Whether the filter has a condition besides status. */
function hasFilter(f: RunListFilter): boolean {
  return f.task !== null || f.tag !== null || f.eventId !== null || f.from !== null || f.to !== null || f.metadataKey !== null;
}
