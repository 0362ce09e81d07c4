// A purge batch's cost must not grow with the runs table (docs/benchmarks.md, purge-under-load):
// on a table of 500,000 runs a batch of 500 took 2.8 s, 1.9 s of it JIT-compiling the statement
// and 0.6 s hashing every run to check the tree members again.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRows } from "../bench/seed-rows.ts";
import { Database, type Queryable } from "../engine/db/database.ts";
import { buildStatements, type Statements } from "../engine/db/sql/index.ts";
import { createLogger } from "../engine/logger.ts";
import { PURGE_BATCH, applyRetention, purgeRuns } from "../engine/retention/purge-runs.ts";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";

const schema = uniqueSchema("retention_plan");
const s = `"${schema}"`;
let db: Database;
let statements: Statements;

beforeAll(async () => {
  await seedRows(TEST_DATABASE_URL, schema, { runs: 4_000, journalPerRun: 4, days: 10, chunk: 4_000 });
  db = new Database(TEST_DATABASE_URL, 2, createLogger("silent"));
  statements = buildStatements(schema);
}, 120_000);
afterAll(async () => {
  await db?.end();
  await dropSchemas(schema);
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Subplan Name"?: string;
  Plans?: PlanNode[];
}
const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

describe("a purge batch", () => {
  it("checks a tree's members on the walk, without reading the runs table again", async () => {
    const hourAgo = new Date(Date.now() - 3_600_000);
    const plan = await db.transaction(async (client) => {
      await client.query(`PREPARE purge_plan AS ${statements.retention.purge}`);
      const { rows } = await client.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
        `EXPLAIN (FORMAT JSON) EXECUTE purge_plan(3600000, NULL, NULL, NULL, '${hourAgo.toISOString()}', ${PURGE_BATCH}, NULL, NULL, NULL)`,
      );
      await client.query("DEALLOCATE purge_plan");
      return rows[0]!["QUERY PLAN"][0].Plan;
    });
    // Joining the members to runs again, the planner (which cannot size a recursive CTE) hashed
    // the whole table at every batch; the members' due flags now come with the walk.
    const members = nodes(plan).find((n) => n["Subplan Name"] === "CTE members");
    expect(members).toBeDefined();
    expect(nodes(members!).filter((n) => n["Relation Name"] === "runs")).toEqual([]);
  });

  it("runs each batch without JIT compilation (it cost seconds a batch), resting as long as the batch took", async () => {
    await sql(`CREATE TABLE ${s}.batches_seen (started timestamptz, ended timestamptz, jit text)`);
    await sql(`CREATE FUNCTION ${s}.batch_started() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO ${s}.batches_seen VALUES (statement_timestamp(), NULL, current_setting('jit')); RETURN NULL; END $$`);
    await sql(`CREATE FUNCTION ${s}.batch_ended() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE ${s}.batches_seen SET ended = clock_timestamp() WHERE started = statement_timestamp(); RETURN NULL; END $$`);
    await sql(`CREATE TRIGGER batch_started BEFORE DELETE ON ${s}.runs FOR EACH STATEMENT EXECUTE FUNCTION ${s}.batch_started()`);
    await sql(`CREATE TRIGGER batch_ended AFTER DELETE ON ${s}.runs FOR EACH STATEMENT EXECUTE FUNCTION ${s}.batch_ended()`);
    const result = await purgeRuns({ db, sql: statements }, { olderThan: "1h" });
    expect(result.count).toBeGreaterThan(PURGE_BATCH);
    const seen = await sql<{ jit: string; took: number; rested: number | null }>(`SELECT jit,
      extract(epoch FROM ended - started)::float8 AS took,
      extract(epoch FROM lead(started) OVER (ORDER BY started) - ended)::float8 AS rested
      FROM ${s}.batches_seen ORDER BY started`);
    expect(seen.length).toBeGreaterThan(1);
    expect(new Set(seen.map((r) => r.jit))).toEqual(new Set(["off"]));
    // The rest is timed around the whole transaction, which holds the statement seen here.
    for (const batch of seen.slice(0, -1)) expect(batch.rested!).toBeGreaterThanOrEqual(batch.took);
    const orphans = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${s}.journal j WHERE NOT EXISTS (SELECT 1 FROM ${s}.runs r WHERE r.id = j.run_id)`);
    expect(orphans[0]!.n).toBe(0);
  });

  it("counts a dry run, and a retention pass its backlog, without JIT compilation too", async () => {
    /** Records the jit setting of the connection each watched statement runs on, just before it runs. */
    class JitSpy extends Database {
      readonly seen: [string, string][] = [];
      constructor(readonly watched: Record<string, string>) {
        super(TEST_DATABASE_URL, 2, createLogger("silent"));
      }
      override async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], on: Queryable = this.pool) {
        const name = Object.keys(this.watched).find((key) => this.watched[key] === text);
        if (name) this.seen.push([name, (await on.query<{ jit: string }>("SELECT current_setting('jit') AS jit")).rows[0]!.jit]);
        return super.query<R>(text, values, on);
      }
    }
    const spy = new JitSpy({ count: statements.retention.count, backlog: statements.retention.backlog });
    try {
      const deps = { db: spy, sql: statements };
      expect((await purgeRuns(deps, { olderThan: "1h", dryRun: true })).dryRun).toBe(true);
      const progress = { passStarted: () => undefined, batchDone: () => undefined, passDone: () => undefined };
      await applyRetention(deps, schema, { runsMs: 3_600_000, keepHistoryMs: undefined }, progress);
      expect(spy.seen).toEqual([["count", "off"], ["backlog", "off"]]);
    } finally {
      await spy.end();
    }
  });
});
