// The run lists on a filled table (bench/seed-rows.ts): every page of every filter is the runs the
// filter matches, newest first, each once; counts come with the first page only, exact up to
// COUNT_CAP and lower bounds past it, labelled so; with no filter but status, PostgreSQL's
// estimates for statuses of EXACT_BELOW runs or more, labelled so.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { seedRows } from "../bench/seed-rows.ts";
import { Database } from "../engine/db/database.ts";
import { buildStatements, type Statements } from "../engine/db/sql/index.ts";
import type { BulkRunsSelection } from "../engine/db/sql/bulk.ts";
import { metadataPath, type RunListFilter } from "../engine/db/sql/run-list.ts";
import { createLogger } from "../engine/logger.ts";
import { COMMON_TAG_SHARE, COUNT_CAP, countRuns, EXACT_BELOW, listRuns } from "../engine/run-list.ts";
import type { ListRunsFilter, RunStatus } from "../sdk/types.ts";
import { RUN_STATUSES } from "../wire/index.ts";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";

const schema = uniqueSchema("run_list");
const s = `"${schema}"`;
const SECRET = "test-secret-key-0123456789";
let db: Database;
let statements: Statements;

beforeAll(async () => {
  await seedRows(TEST_DATABASE_URL, schema, { runs: 4_000, journalPerRun: 4, days: 10, chunk: 4_000 });
  // Runs created in one transaction share created_at; others share a millisecond but not the microsecond.
  await sql(`INSERT INTO ${s}.runs (id, task_id, task_version, payload, status, created_at, metadata, tags)
    SELECT 'run_' || lpad(g::text, 26, '0'), 'together', '1', '{}', 'QUEUED', timestamptz '2030-01-01 00:00:00.0015' + (g % 2) * interval '1 microsecond',
      jsonb_build_object('flag', g % 2 = 0, 'n', g, 'obj', jsonb_build_object('a', g)), ARRAY['together']
    FROM generate_series(1, 30) g`);
  await sql(`ANALYZE ${s}.runs`);
  db = new Database(TEST_DATABASE_URL, 4, createLogger("silent"));
  statements = buildStatements(schema);
}, 120_000);

afterAll(async () => {
  await db.pool.end();
  await dropSchemas(schema);
});

/** Every run of the filter, by walking its pages. */
async function walk(filter: ListRunsFilter, limit = 97): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listRuns(db, statements, { ...filter, limit, ...(cursor ? { cursor } : {}) });
    ids.push(...page.data.map((r) => r.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

/** The same list straight from SQL: `where` on runs `r`, newest first. */
const expected = async (where: string, values: unknown[] = []) =>
  (await sql<{ id: string }>(`SELECT id FROM ${s}.runs r WHERE ${where} ORDER BY created_at DESC, id DESC`, values)).map((r) => r.id);

describe("run lists", () => {
  it("page through every run of each filter, newest first, each run once, runs created together included", async () => {
    const from = new Date(Date.now() - 5 * 86_400_000);
    const to = new Date(Date.now() - 2 * 86_400_000);
    const cases: [ListRunsFilter, string, unknown[]][] = [
      [{}, "true", []],
      [{ status: "FAILURE" }, "status = 'FAILURE'", []],
      [{ status: ["CANCELED", "QUEUED"] }, "status IN ('CANCELED', 'QUEUED')", []],
      [{ taskIdentifier: "nightly-report" }, "task_id = 'nightly-report'", []],
      [{ tag: "env:prod" }, "'env:prod' = ANY(tags)", []],
      [{ taskIdentifier: "together" }, "task_id = 'together'", []],
      [{ from, to }, "created_at >= $1 AND created_at < $2", [from, to]],
      [{ metadataKey: "region", metadataValue: "eu-west" }, "metadata ->> 'region' = 'eu-west'", []],
      [{ metadataKey: "obj" }, "metadata ? 'obj'", []],
      [{ status: "SUCCESS", taskIdentifier: "send-email", metadataKey: "region" }, "status = 'SUCCESS' AND task_id = 'send-email' AND metadata ? 'region'", []],
    ];
    for (const [filter, where, values] of cases) {
      const want = await expected(where, values);
      expect(want.length).toBeGreaterThan(0);
      expect(await walk(filter, filter.taskIdentifier === "together" ? 7 : 97)).toEqual(want);
    }
  }, 60_000);

  it("read a metadata value as its text, whether it is a string, a number or a boolean", async () => {
    const byValue = (key: string, value: string) => walk({ metadataKey: key, metadataValue: value });
    expect(await byValue("customerId", "cus_17")).toEqual(await expected("metadata ->> 'customerId' = 'cus_17'"));
    expect(await byValue("progress", "0.5")).toEqual(await expected("metadata ->> 'progress' = '0.5'"));
    expect((await byValue("n", "7")).length).toBe(1);
    expect(await byValue("flag", "true")).toEqual(await expected("metadata ->> 'flag' = 'true'"));
    // An object's text: no jsonpath equality covers it, and the `->>` check alone still finds it.
    expect(await byValue("obj", '{"a": 3}')).toEqual(await expected(`metadata ->> 'obj' = '{"a": 3}'`));
    expect(metadataPath("obj", '{"a": 3}')).toBeNull();
    expect(metadataPath("region", "eu-west")).toEqual({ path: 'strict $."region" == "eu-west"', exact: true });
    expect(metadataPath("n", "7")?.exact).toBe(false);
    // A string inside an array is not the value's text: the strict path leaves it out, as `->>` does.
    await sql(`UPDATE ${s}.runs SET metadata = metadata || '{"listed": ["eu-west"], "quoted": "say \\"hi\\""}' WHERE task_id = 'together'`);
    expect(await byValue("listed", "eu-west")).toEqual([]);
    expect((await byValue("quoted", 'say "hi"')).length).toBe(30);
    expect(await byValue("n", "07")).toEqual([]);
  });

  it("use the run-list indexes on a big table: a rare metadata value through the metadata index", async () => {
    const plan = statements.runList.page({ statuses: null, task: null, tag: null, eventId: null, from: null, to: null, metadataKey: "customerId", metadataValue: "cus_17" }, null, 21);
    const text = (await sql<{ "QUERY PLAN": string }>(`EXPLAIN ${plan.text}`, plan.values)).map((r) => r["QUERY PLAN"]).join("\n");
    expect(text).toMatch(/BitmapOr[^]*runs_metadata_search_idx[^]*runs_queue_executing_idx/);
  });

  it("plan each filter's statements for its values, never from a prepared statement's generic plan", async () => {
    // After five calls a prepared statement may take a generic plan, which cannot tell a tag on a
    // fifth of the runs from a rare one: at a million runs it read all 200,000 for a page of 20.
    const one = new Database(TEST_DATABASE_URL, 1, createLogger("silent"));
    try {
      for (let i = 0; i < 7; i++) {
        for (const filter of [{ tag: "env:prod" }, { metadataKey: "region", metadataValue: "eu-west" }, { taskIdentifier: "together" }]) {
          await listRuns(one, statements, { ...filter, limit: 20 });
          await countRuns(one, statements, schema, filter);
        }
      }
      const prepared = await one.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements");
      expect(prepared.rows.filter((r) => r.statement.includes(`${s}.runs r`))).toEqual([]);
    } finally {
      await one.pool.end();
    }
  });
});

describe("run counts", () => {
  const exact = async (where: string) => {
    const rows = await sql<{ status: RunStatus; n: number }>(`SELECT status, count(*)::int AS n FROM ${s}.runs r WHERE ${where} GROUP BY status`);
    const counts = Object.fromEntries(RUN_STATUSES.map((st) => [st, 0])) as Record<RunStatus, number>;
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  };

  it("with no filter, are the statistics' estimates, labelled, for statuses of EXACT_BELOW runs or more and exact for the others", async () => {
    const { counts, estimated, atLeast } = await countRuns(db, statements, schema, {});
    const truth = await exact("true");
    expect(truth.SUCCESS).toBeGreaterThan(EXACT_BELOW * 2);
    expect(truth.CANCELED).toBeLessThan(EXACT_BELOW / 2);
    expect(estimated).toContain("SUCCESS");
    expect(atLeast).toEqual([]);
    for (const status of RUN_STATUSES) {
      if (estimated.includes(status)) {
        expect(Math.abs(counts[status] - truth[status]) / truth[status]).toBeLessThan(0.2);
      } else {
        expect(counts[status]).toBe(truth[status]);
      }
    }
    expect(estimated).not.toContain("CANCELED");
    expect(estimated).not.toContain("EXECUTING");
  });

  it("are exact when the filter matches COUNT_CAP runs or fewer, the status filter left out", async () => {
    const [{ customer }] = (await sql<{ customer: string }>(`SELECT metadata ->> 'customerId' AS customer FROM ${s}.runs WHERE metadata ? 'customerId' LIMIT 1`)) as [{ customer: string }];
    for (const [filter, where] of [
      [{ tag: "env:staging" }, "'env:staging' = ANY(tags)"],
      [{ metadataKey: "customerId", metadataValue: customer }, `metadata ->> 'customerId' = '${customer}'`],
      [{ taskIdentifier: "together", status: "SUCCESS" }, "task_id = 'together'"],
      // Only FAILURE and CANCELED runs have progress 0.5: an estimate from the statuses' shares put 85% of them at SUCCESS.
      [{ metadataKey: "progress", metadataValue: "0.5" }, "metadata ->> 'progress' = '0.5'"],
    ] as [ListRunsFilter, string][]) {
      const truth = await exact(where);
      expect(RUN_STATUSES.reduce((sum, status) => sum + truth[status], 0)).toBeLessThanOrEqual(COUNT_CAP);
      expect(await countRuns(db, statements, schema, filter)).toEqual({ counts: truth, estimated: [], atLeast: [] });
    }
  });

  it("show 0 SUCCESS for a tag whose runs all failed, not an estimate", async () => {
    await sql(`INSERT INTO ${s}.runs (id, task_id, task_version, payload, status, created_at, tags)
      SELECT 'run_failed' || lpad(g::text, 20, '0'), 'flaky', '1', '{}', 'FAILURE', now(), ARRAY['all-failed'] FROM generate_series(1, 40) g`);
    const { counts, estimated, atLeast } = await countRuns(db, statements, schema, { tag: "all-failed" });
    expect(counts).toEqual({ QUEUED: 0, EXECUTING: 0, WAITING: 0, SUCCESS: 0, FAILURE: 40, CANCELED: 0 });
    expect(estimated).toEqual([]);
    expect(atLeast).toEqual([]);
  });

  it("read a tag the statistics put on COMMON_TAG_SHARE of the runs or more among the newest runs, and a rarer one through the tag index", async () => {
    const counted: string[] = [];
    const spy = vi.spyOn(db, "queryForValues").mockImplementation(function (this: Database, text, values) {
      if (/count\(\*\)::int AS n FROM \(SELECT r\.status/.test(text)) counted.push(text);
      return Database.prototype.queryForValues.call(this, text, values) as never;
    });
    try {
      const [{ share }] = await sql<{ share: number }>(statements.runList.tagShare, [schema, "env:prod"]);
      expect(share).toBeGreaterThanOrEqual(COMMON_TAG_SHARE);
      // A fifth of the 4,000 runs: under the cap, so the count read them all, newest first, and is exact.
      expect(await countRuns(db, statements, schema, { tag: "env:prod" })).toEqual({ counts: await exact("'env:prod' = ANY(tags)"), estimated: [], atLeast: [] });
      expect(await countRuns(db, statements, schema, { tag: "together" })).toEqual({ counts: await exact("'together' = ANY(tags)"), estimated: [], atLeast: [] });
    } finally {
      spy.mockRestore();
    }
    expect(counted.map((text) => text.includes("ORDER BY r.created_at DESC"))).toEqual([true, false]);
  });

  it("stop at COUNT_CAP runs for a filter matching more and say which counts are lower bounds; statuses of few runs stay exact", async () => {
    const { counts, estimated, atLeast } = await countRuns(db, statements, schema, { metadataKey: "region" });
    const truth = await exact("metadata ? 'region'");
    expect(estimated).toEqual([]);
    // The statistics put only SUCCESS at EXACT_BELOW runs or more: its count stopped at the cap.
    expect(atLeast).toEqual(["SUCCESS"]);
    expect(counts.SUCCESS).toBeGreaterThan(0);
    expect(counts.SUCCESS).toBeLessThanOrEqual(truth.SUCCESS);
    for (const status of RUN_STATUSES.filter((st) => st !== "SUCCESS")) expect(counts[status]).toBe(truth[status]);
  });
});

describe("run counts past the statistics", () => {
  it("stop at COUNT_CAP and say they are lower bounds when a status grew past what the statistics know", async () => {
    // After ANALYZE: the statistics still say QUEUED is rare.
    await sql(`INSERT INTO ${s}.runs (id, task_id, task_version, payload, status, created_at)
      SELECT 'run_late' || lpad(g::text, 22, '0'), 'late', '1', '{}', 'QUEUED', now() FROM generate_series(1, ${COUNT_CAP + 5}) g`);
    const { counts, estimated, atLeast } = await countRuns(db, statements, schema, {});
    expect(atLeast).toContain("QUEUED");
    expect(estimated).not.toContain("QUEUED");
    // What the count reached before the cap stopped it: the cap is over every status it counted.
    expect(atLeast.reduce((sum, status) => sum + counts[status], 0)).toBe(COUNT_CAP + 1);
    expect(counts.QUEUED).toBeGreaterThan(0);
    expect(counts.QUEUED).toBeLessThanOrEqual(COUNT_CAP + 5);
    expect(estimated).toContain("SUCCESS");
  });
});

describe("bulk actions' selection", () => {
  const none: BulkRunsSelection = { statuses: null, task: null, tag: null, eventId: null, from: null, to: null, metadataKey: null, metadataValue: null, taskVersion: null, runIds: null };

  it("matches the runs the run lists' filter does, plus the task version and run ids", async () => {
    const count = async (selection: Partial<BulkRunsSelection>) => {
      const q = statements.bulk.count({ ...none, ...selection });
      return (await sql<{ count: number }>(q.text, q.values))[0]!.count;
    };
    const [someRun] = await expected("task_id = 'together'");
    expect(await count({ tag: "env:prod", statuses: ["FAILURE"] })).toBe((await expected("'env:prod' = ANY(tags) AND status = 'FAILURE'")).length);
    expect(await count({ metadataKey: "region", metadataValue: "eu-west" })).toBe((await expected("metadata ->> 'region' = 'eu-west'")).length);
    expect(await count({ metadataKey: "obj", metadataValue: "" })).toBe((await expected("metadata ? 'obj'")).length);
    expect(await count({ task: "together", taskVersion: "1", runIds: [someRun!, "run_missing"] })).toBe(1);
    expect(await count({ task: "together", taskVersion: "2" })).toBe(0);
    // An empty list selects no run: a bulk action never widens to every run.
    expect(await count({ statuses: [] })).toBe(0);
    expect(await count({ runIds: [] })).toBe(0);
  });

  it("keeps a rare tag's index when its prepared statement gets a generic plan", async () => {
    // The generic statement of `$n IS NULL OR …` got a generic plan after five calls: a walk of the whole table.
    const q = statements.bulk.count({ ...none, tag: "customer:17" });
    const client = await db.pool.connect();
    try {
      await client.query("SET plan_cache_mode = force_generic_plan");
      await client.query(`PREPARE bulk_count AS ${q.text}`);
      const params = q.values.map((v) => `'${String(v)}'`).join(", ");
      const plan = (await client.query<{ "QUERY PLAN": string }>(`EXPLAIN EXECUTE bulk_count(${params})`)).rows.map((r) => r["QUERY PLAN"]).join("\n");
      expect(plan).toMatch(/runs_tags_idx/);
    } finally {
      await client.query("DEALLOCATE ALL; RESET plan_cache_mode");
      client.release();
    }
  });
});

describe("GET /api/runs", () => {
  it("counts on the first page only, and says which counts are estimates and which lower bounds", async () => {
    const engine = await startTestEngine("run_list_http", { schema, role: "api", http: { port: 0 }, secretKey: SECRET });
    const get = async (path: string) => (await fetch(engine.url + path, { headers: { authorization: `Bearer ${SECRET}` } })).json();
    const first = await get("/api/runs?limit=5");
    expect(first.counts.CANCELED).toBeGreaterThan(0);
    expect(first.estimatedCounts).toContain("SUCCESS");
    expect(first.countsAtLeast).toEqual(expect.any(Array));
    const broad = await get("/api/runs?limit=5&metadataKey=region");
    expect(broad.estimatedCounts).toEqual([]);
    expect(broad.countsAtLeast).toContain("SUCCESS");
    const next = await get(`/api/runs?limit=5&cursor=${first.nextCursor}`);
    expect(next.data).toHaveLength(5);
    expect(next.counts).toBeNull();
    expect(next.estimatedCounts).toEqual([]);
    expect(next.countsAtLeast).toEqual([]);
    expect((await fetch(`${engine.url}/api/runs?cursor=run_x`, { headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(400);
  });
});

// The metadata filters read an executing run's metadata itself and every other run's through the
// index on its copy (migration 46): a run's own metadata.set while it executes leaves the copy
// behind, and a descendant's change of a waiting run, or the end of an execution, brings it up.
describe("metadata filters, on runs whose metadata changed", () => {
  const none: RunListFilter = { statuses: null, task: null, tag: null, eventId: null, from: null, to: null, metadataKey: null, metadataValue: null };
  const ids = ["run_stage_executing", "run_stage_ended", "run_stage_waiting", "run_stage_moved_on", "run_stage_waiting_moved_on"];

  it("find each run by its metadata now, through every page shape, count and bulk selection", async () => {
    await sql(`INSERT INTO ${s}.runs (id, task_id, task_version, payload, status, metadata, created_at)
      SELECT id, 'stages', '1', '{}', 'QUEUED', $2, now() - interval '30 days' FROM unnest($1::text[]) AS id`, [ids, { stage: "packing" }]);
    const [executing, ended, waiting, movedOn, waitingMovedOn] = ids as [string, string, string, string, string];
    const lease = randomUUID();
    await sql(`UPDATE ${s}.runs SET status = 'EXECUTING', lease = $2 WHERE id = ANY($1)`, [[executing, ended, movedOn], lease]);
    const set = (run: string, seq: number, value: string) => sql(statements.journal.writeOneWithMetadata, [
      run, lease, seq, "metadata", `metadata-${seq}`, "completed", JSON.stringify({ json: null }), null, 1, new Date(), null, "durably_test_stage",
      true, "set", "stage", JSON.stringify(value), false, null,
    ]);
    await set(executing, 1, "shipping");
    await set(ended, 1, "shipping");
    await sql(statements.journal.writeManyWithMetadataNoClaim, [JSON.stringify([{
      run_id: ended, lease, seq: null, kind: null, key: null, status: null, output: null, error: null, attempts: null, started_at: null,
      next_status: "SUCCESS", run_output: null, run_error: null, awaited: false, md: null, md_op: null, md_key: null, md_value: null,
    }]), "durably_test_stage", []]);
    // Its copy read "shipping" when it last stopped executing; it has moved on since.
    await set(movedOn, 1, "shipping");
    await sql(`UPDATE ${s}.runs SET status = 'WAITING' WHERE id = $1`, [movedOn]);
    await sql(`UPDATE ${s}.runs SET status = 'EXECUTING' WHERE id = $1`, [movedOn]);
    await set(movedOn, 2, "delivered");
    // Waiting runs whose children changed their metadata.
    await sql(`UPDATE ${s}.runs SET status = 'WAITING' WHERE id = ANY($1)`, [[waiting, waitingMovedOn]]);
    const byChild = (run: string, metadata: object) =>
      sql(statements.metadata.changeByDescendant, [run, metadata, "set", "stage", JSON.stringify((metadata as { stage: string }).stage), "run_child", "durably_test_stage"]);
    await byChild(waiting, { stage: "shipping" });
    await byChild(waitingMovedOn, { stage: "shipping" });
    await byChild(waitingMovedOn, { stage: "delivered" });
    const states = await sql<{ id: string; status: string; stage: string; copy: string | null }>(
      `SELECT id, status, metadata ->> 'stage' AS stage, metadata_search ->> 'stage' AS copy FROM ${s}.runs WHERE id = ANY($1) ORDER BY id`, [ids]);
    // The executing runs' copies lag behind, which is what the filters must see past.
    expect(states).toEqual([
      { id: ended, status: "SUCCESS", stage: "shipping", copy: "shipping" },
      { id: executing, status: "EXECUTING", stage: "shipping", copy: "packing" },
      { id: movedOn, status: "EXECUTING", stage: "delivered", copy: "shipping" },
      { id: waiting, status: "WAITING", stage: "shipping", copy: "shipping" },
      { id: waitingMovedOn, status: "WAITING", stage: "delivered", copy: "delivered" },
    ]);

    const shipping = [executing, ended, waiting].sort();
    const filters: [Partial<RunListFilter>, string[]][] = [
      [{ metadataKey: "stage", metadataValue: "shipping" }, shipping],
      [{ metadataKey: "stage", metadataValue: "packing" }, []],
      [{ metadataKey: "stage", metadataValue: "delivered" }, [movedOn, waitingMovedOn].sort()],
      [{ metadataKey: "stage" }, [...ids].sort()],
    ];
    for (const [filter, want] of filters) {
      const f = { ...none, ...filter };
      for (const shape of ["plain", "window", "sorted"] as const) {
        const page = statements.runList.page(f, null, 100, shape);
        expect((await sql<{ id: string }>(page.text, page.values)).map((r) => r.id).sort(), `${JSON.stringify(filter)} ${shape}`).toEqual(
          // The window holds only the newest runs, which these are not.
          shape === "window" ? [] : want);
      }
      const listed = await walk({ metadataKey: f.metadataKey!, ...(f.metadataValue ? { metadataValue: f.metadataValue } : {}) });
      expect(listed.filter((id) => ids.includes(id)).sort()).toEqual(want);
      const { counts } = await countRuns(db, statements, schema, { taskIdentifier: "stages", metadataKey: f.metadataKey!, ...(f.metadataValue ? { metadataValue: f.metadataValue } : {}) });
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(want.length);
      const bulk = statements.bulk.count({ ...f, task: "stages", taskVersion: null, runIds: null });
      expect((await sql<{ count: number }>(bulk.text, bulk.values))[0]!.count).toBe(want.length);
    }
  });
});
