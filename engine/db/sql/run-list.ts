import { runWait } from "./waitpoints.ts";
import { runColumns } from "./run-columns.ts";

/** A run list's filter, as `runs.list` and `GET /api/runs` take it; null leaves a field out. */
export interface RunListFilter {
  statuses: readonly string[] | null;
  task: string | null;
  tag: string | null;
  eventId: string | null;
  from: Date | null;
  to: Date | null;
  metadataKey: string | null;
  /** With the key: runs whose value reads as this text (`->>`); null or "" for the key alone. */
  metadataValue: string | null;
}

/** Where a page ends: its last run's created_at, in microseconds since the epoch (as text), and id. */
export interface RunListCursor {
  createdUs: string;
  id: string;
}

/** A statement written for one filter, with its values. */
export interface Query {
  text: string;
  values: unknown[];
}

/**
 * The metadata filter's value as a jsonpath, for the metadata GIN index (`@@`). A value that can
 * only be a string's text: `strict $."key" == "value"` matches exactly the runs whose value reads
 * as it (`->>`), and the planner estimates it from the column's statistics. A value that may be a
 * number's or a boolean's text: a path every such run matches (a number compares by value, so
 * 1.50 matches "1.5"), which `->>` then checks. Null for what may be an object or array's text.
 */
export function metadataPath(key: string, value: string): { path: string; exact: boolean } | null {
  if (value.startsWith("{") || value.startsWith("[")) return null;
  const member = `$.${JSON.stringify(key)}`;
  const asString = `${member} == ${JSON.stringify(value)}`;
  const isNumber = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(value);
  if (isNumber || value === "true" || value === "false") return { path: `${asString} || ${member} == ${value}`, exact: false };
  return { path: `strict ${asString}`, exact: true };
}

/**
 * The GIN indexes of tags and metadata hold only runs that have some (migration 44): each filter
 * on them says so in the indexes' own words, which no matching run fails, so that the planner can
 * take them.
 */
export const TAGGED = "r.tags <> '{}'::text[]";

/** A condition on a run's metadata, written on the column given. */
type MetadataCondition = (column: string) => string;

/**
 * A metadata condition as the metadata index serves it. The index holds `metadata_search`
 * (migration 46, ./metadata-search.ts), the metadata of every run that is not executing, in its
 * words (`<> '{}'`, as migration 44's partial indexes): an executing run's copy may lag behind its
 * metadata.set calls, which stay HOT that way. So the runs the index finds, and the executing ones
 * (which the partial indexes of executing runs find), are the candidates, and the condition on the
 * metadata itself decides.
 */
const searched = (cond: MetadataCondition) =>
  `(r.metadata_search <> '{}'::jsonb AND ${cond("r.metadata_search")} OR r.status = 'EXECUTING') AND ${cond("r.metadata")}`;
const unsearched = (cond: MetadataCondition) => cond("r.metadata");

/**
 * The conditions on runs `r` for exactly the fields the filter has, their values pushed onto
 * `values`: the run lists' and the bulk actions' one filter. Written per combination instead of as
 * one statement of `$n IS NULL OR …`: a prepared statement of that shape gets a generic plan after
 * five calls, which cannot pick an index by the fields present and walked the whole table for a
 * rare filter. The metadata filter: the key alone (or with an empty value, as a cleared input
 * sends it) selects every run whose metadata has the key; with a value, runs whose value reads as
 * that text (`->>`), as the dashboard's live updates read it (`runMatchesFilters`,
 * react/client/cache-updates.ts). `metadata` says which to write: the metadata filter's, the
 * others', or all; only "all" writes the metadata filter's index arm (`searched`), which serves
 * nothing where the runs are read by other means first.
 */
export function runConditions(f: RunListFilter, values: unknown[], status: boolean, metadata: "all" | "only" | "none" = "all"): string[] {
  const param = (value: unknown) => `$${values.push(value)}`;
  const where: string[] = [];
  if (metadata !== "only") {
    if (status && f.statuses) where.push(f.statuses.length === 1 ? `r.status = ${param(f.statuses[0])}` : `r.status = ANY(${param(f.statuses)}::text[])`);
    if (f.task !== null) where.push(`r.task_id = ${param(f.task)}`);
    if (f.tag !== null) where.push(`r.tags @> ARRAY[${param(f.tag)}::text]`, TAGGED);
    if (f.eventId !== null) where.push(`r.event_id = ${param(f.eventId)}`);
    if (f.from !== null) where.push(`r.created_at >= ${param(f.from)}`);
    if (f.to !== null) where.push(`r.created_at < ${param(f.to)}`);
  }
  if (metadata === "none" || f.metadataKey === null) return where;
  const onMetadata = metadata === "all" ? searched : unsearched;
  if (f.metadataValue) {
    const matcher = metadataPath(f.metadataKey, f.metadataValue);
    const arg = param(matcher ? matcher.path : f.metadataKey);
    where.push(onMetadata(matcher ? (m) => `${m} @@ ${arg}::jsonpath` : (m) => `${m} ? ${arg}`));
    // The planner has no statistics for `->>` and takes 0.5% of the runs: beside the path, the
    // product of both came out 200 times too small, and a value a quarter of the runs had was
    // read through the index, all 250,000 of them, instead of walking the newest runs (2 s, not 1 ms).
    if (!matcher?.exact) where.push(`r.metadata ->> ${param(f.metadataKey)} = ${param(f.metadataValue)}`);
  } else {
    const key = param(f.metadataKey);
    where.push(onMetadata((m) => `${m} ? ${key}`));
  }
  return where;
}

/**
 * How a page of a metadata value is read (listRuns, engine/run-list.ts). The statistics cannot
 * tell a value 200 runs have from one 10,000 have (a jsonpath matching no sampled value is put at
 * 1% of the table), and the plan differs by a thousand times: walking the newest runs finds a
 * common value's page at once and reads the whole table for a rare one; the index finds a rare
 * value's runs at once and all 250,000 of a common one's. So a page is looked for first among the
 * WINDOW newest runs of the other filters ("window"), and only when that comes short, among
 * every matching run through the index, sorted ("sorted").
 */
export type PageShape = "plain" | "window" | "sorted";
const WINDOW = 2_000;

export const whereOf = (conds: string[]) => (conds.length ? `WHERE ${conds.join(" AND ")}` : "");

/** Statements of the run lists (`runs.list`, `GET /api/runs`) and their counts by status. */
export function runListStatements(s: string) {
  return {
    /**
     * A page, newest first: by created_at, then id for runs created together (one transaction),
     * so each filter walks its index in created_at order (status, task, created_at) and stops
     * after the page. By id alone, the walk went down the primary key and read every newer run
     * that did not match, to the end of the table for a status no run had.
     */
    page(f: RunListFilter, after: RunListCursor | null, limit: number, shape: PageShape = "plain"): Query {
      const values: unknown[] = [];
      const conds = runConditions(f, values, true, shape === "window" ? "none" : "all");
      if (after) {
        const at = `(timestamptz 'epoch' + ${`$${values.push(after.createdUs)}`}::bigint * interval '1 microsecond')`;
        conds.push(`(r.created_at, r.id) < (${at}, $${values.push(after.id)})`);
      }
      let from = `${s}.runs r ${whereOf(conds)}`;
      if (shape === "window") {
        // The metadata conditions apply outside the LIMIT, so they cannot be pushed under it.
        from = `(SELECT * FROM ${s}.runs r ${whereOf(conds)} ORDER BY r.created_at DESC, r.id DESC LIMIT ${WINDOW}) r
          ${whereOf(runConditions(f, values, false, "only"))}`;
      }
      // No index gives this order: the plan reads every matching run (through the metadata index) and sorts.
      const order = shape === "sorted" ? "r.created_at + interval '0' DESC, r.id DESC" : "r.created_at DESC, r.id DESC";
      return {
        text: `
          SELECT ${runColumns("r")}, NULL AS event_name, (extract(epoch FROM r.created_at) * 1000000)::bigint::text AS created_us, ${runWait(s, "r")}
          FROM ${from}
          ORDER BY ${order}
          LIMIT $${values.push(limit)}`,
        values,
      };
    },

    /**
     * The share of the runs in each status the statistics know of (the most common values; a
     * status not among them is rare), and the runs they were taken over: the estimates of the
     * runs by status with no filter but status.
     */
    statusShares: `
      SELECT v.status, v.share, (SELECT c.reltuples FROM pg_class c WHERE c.oid = '${s}.runs'::regclass) AS runs FROM pg_stats st,
        unnest(st.most_common_vals::text::text[], st.most_common_freqs) AS v(status, share)
      WHERE st.schemaname = $1 AND st.tablename = 'runs' AND st.attname = 'status'`,

    /**
     * Among the runs in the statuses given, read through the status index up to `limit` of them,
     * those the filter (its status left out) matches, by status (`n`), and those read (`seen`):
     * exact counts for statuses of few runs, whatever the filter.
     */
    countAmong(f: RunListFilter, statuses: readonly string[], limit: number): Query {
      const values: unknown[] = [statuses, limit];
      const matches = [...runConditions(f, values, false, "none"), ...runConditions(f, values, false, "only")].join(" AND ") || "true";
      return {
        text: `SELECT r.status, (count(*) FILTER (WHERE ${matches}))::int AS n, count(*)::int AS seen
          FROM (SELECT * FROM ${s}.runs r WHERE r.status = ANY($1::text[]) LIMIT $2) r GROUP BY r.status`,
        values,
      };
    },

    /**
     * The runs the filter (its status left out) matches, by status, in the statuses given (null:
     * all), reading at most `limit` of them: any of them, or with `newest`, the newest, which the
     * planner may read by walking the runs newest first until it has them.
     */
    count(f: RunListFilter, statuses: readonly string[] | null, limit: number, newest = false): Query {
      const values: unknown[] = [];
      const conds = runConditions(f, values, false);
      if (statuses) conds.push(`r.status = ANY($${values.push(statuses)}::text[])`);
      const order = newest ? "ORDER BY r.created_at DESC " : "";
      return {
        text: `SELECT status, count(*)::int AS n FROM (SELECT r.status FROM ${s}.runs r ${whereOf(conds)} ${order}LIMIT $${values.push(limit)}) x GROUP BY status`,
        values,
      };
    },

    /** The share of the runs that have the tag $2, as the statistics of `runs.tags` know it (none: a rare tag). */
    tagShare: `
      SELECT t.share FROM pg_stats st, unnest(st.most_common_elems::text::text[], st.most_common_elem_freqs) AS t(tag, share)
      WHERE st.schemaname = $1 AND st.tablename = 'runs' AND st.attname = 'tags' AND t.tag = $2`,
  };
}
