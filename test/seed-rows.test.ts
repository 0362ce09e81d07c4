// The big-table generator (bench/seed-rows.ts): finished runs in the engine's shapes, whose audit
// chain verifies and which the engine's own reads take as they are.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRows } from "../bench/seed-rows.ts";
import { verifyAudit } from "../engine/audit/verify.ts";
import { Database } from "../engine/db/database.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import { createLogger } from "../engine/logger.ts";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";

const schema = uniqueSchema("seed");
let db: Database;

beforeAll(async () => {
  db = new Database(TEST_DATABASE_URL, 2, createLogger("silent"));
  const progress: number[] = [];
  const result = await seedRows(TEST_DATABASE_URL, schema, { runs: 3_000, journalPerRun: 10, days: 60, chunk: 1_000, onProgress: (done) => progress.push(done) });
  expect(progress).toEqual([1_000, 2_000, 3_000]);
  expect(result.runs).toBe(3_000);
}, 120_000);

afterAll(async () => {
  await db.pool.end();
  await dropSchemas(schema);
});

describe("seedRows", () => {
  it("adds finished runs of several tasks over the days asked, with the journal size asked on average", async () => {
    const [shape] = await sql<{ runs: number; journal: number; history: number; unfinished: number; tasks: number; days: number; tagged: number }>(`
      SELECT (SELECT count(*)::int FROM "${schema}".runs) AS runs,
        (SELECT count(*)::int FROM "${schema}".journal) AS journal,
        (SELECT count(*)::int FROM "${schema}".run_metadata_history) AS history,
        (SELECT count(*)::int FROM "${schema}".runs WHERE status NOT IN ('SUCCESS', 'FAILURE', 'CANCELED') OR finished_at IS NULL) AS unfinished,
        (SELECT count(DISTINCT task_id)::int FROM "${schema}".runs) AS tasks,
        (SELECT (extract(epoch FROM max(created_at) - min(created_at)) / 86400)::float8 FROM "${schema}".runs) AS days,
        (SELECT count(*)::int FROM "${schema}".runs WHERE tags <> '{}') AS tagged`);
    expect(shape).toMatchObject({ runs: 3_000, history: 3_000, unfinished: 0, tasks: 6 });
    expect(shape!.journal / 3_000).toBeGreaterThan(9.5);
    expect(shape!.journal / 3_000).toBeLessThan(10.5);
    expect(shape!.days).toBeGreaterThan(58);
    expect(shape!.days).toBeLessThanOrEqual(60);
    expect(shape!.tagged / 3_000).toBeGreaterThan(0.25);
    const statuses = await sql<{ status: string }>(`SELECT DISTINCT status FROM "${schema}".runs ORDER BY status`);
    expect(statuses.map((r) => r.status)).toEqual(["CANCELED", "FAILURE", "SUCCESS"]);
  });

  it("gives ids that sort as the runs were created, as the engine's ids do", async () => {
    const [{ misordered }] = (await sql<{ misordered: number }>(`
      SELECT count(*)::int AS misordered FROM (
        SELECT id < lead(id) OVER (ORDER BY created_at, id) AS ok FROM "${schema}".runs
      ) x WHERE NOT ok`)) as [{ misordered: number }];
    expect(misordered).toBe(0);
  });

  it("writes an audit chain that verifies, a hash on every status and metadata version", async () => {
    const result = await verifyAudit(db, buildStatements(schema), {});
    expect(result.broken).toBeNull();
    expect(result.runs).toBe(3_000);
    expect(result.unhashed).toBe(0);
    const [{ versions }] = (await sql<{ versions: number }>(`
      SELECT (SELECT count(*) FROM "${schema}".journal WHERE kind = 'status')::int
        + (SELECT count(*) FROM "${schema}".run_metadata_history)::int AS versions`)) as [{ versions: number }];
    expect(result.verified).toBe(versions);
  }, 120_000);

  it("writes journal entries the engine reads as its own: outputs, and attempts at their usual values", async () => {
    const [{ id }] = (await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE status = 'FAILURE' LIMIT 1`)) as [{ id: string }];
    const { rows } = await db.query<{ seq: number; kind: string; status: string; output: unknown; attempts: number }>(buildStatements(schema).journal.list, [id]);
    expect(rows.map((r) => r.kind).slice(0, 3)).toEqual(["task", "metadata", "status"]);
    expect(rows[0]!.output).toMatchObject({ json: { ok: true } });
    expect(rows[0]!.attempts).toBe(1);
    expect(rows.at(-1)).toMatchObject({ status: "failed", output: null, attempts: 3 });
  });

  it("adds to a schema already filled, without colliding ids", async () => {
    await seedRows(TEST_DATABASE_URL, schema, { runs: 500, chunk: 500, vacuum: false });
    const [{ n }] = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs`)) as [{ n: number }];
    expect(n).toBe(3_500);
  });

  it("refuses a journal smaller than its shape", async () => {
    await expect(seedRows(TEST_DATABASE_URL, schema, { runs: 10, journalPerRun: 3 })).rejects.toThrow(/journalPerRun/);
  });
});
