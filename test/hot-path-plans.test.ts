import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "durably/engine";
import { REVISION_INDEXED_AFTER } from "../engine/db/sql/feed.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./helpers/db.ts";

const schema = uniqueSchema("plans");
const quietSchema = uniqueSchema("plans_quiet");
const finishedSchema = uniqueSchema("plans_finished");
const statements = buildStatements(schema);
let client: pg.Client;

/**
 * A long-lived database: many finished runs, a few active ones, statistics gathered. The batched
 * hot-path statements must still reach `runs` by primary key, once per item — not through the
 * status indexes, which hold an entry for every state every run ever passed through.
 */
beforeAll(async () => {
  client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await migrate(client, schema);
  await client.query(`
    INSERT INTO "${schema}".runs (id, task_id, task_version, payload, status, lease)
    SELECT 'run_' || i, 'task', '1', '{}', CASE WHEN i % 100 = 0 THEN 'EXECUTING' WHEN i % 100 = 1 THEN 'QUEUED' ELSE 'SUCCESS' END,
      CASE WHEN i % 100 = 0 THEN gen_random_uuid() END
    FROM generate_series(1, 20000) AS i`);
  await client.query(`
    INSERT INTO "${schema}".journal (run_id, seq, kind, key, status, output, attempts, revision, started_at)
    SELECT 'run_100', i, 'task', 'step-' || i, 'completed', '{"json": null}', 1, i + 1, now() FROM generate_series(1, 10000) AS i`);
  await client.query(`ANALYZE "${schema}".runs`);
  await client.query(`ANALYZE "${schema}".journal`);
  // Statistics gathered while nothing executed: the planner then takes the partial index of
  // executing runs for a one-row scan, and a batch that joins it with its items compares every
  // item with every executing run.
  await migrate(client, quietSchema);
  await client.query(`
    INSERT INTO "${quietSchema}".runs (id, task_id, task_version, payload, status)
    SELECT 'run_' || i, 'task', '1', '{}', CASE WHEN i % 100 = 1 THEN 'QUEUED' ELSE 'SUCCESS' END FROM generate_series(1, 20000) AS i`);
  await client.query(`ANALYZE "${quietSchema}".runs`);
  await client.query(`UPDATE "${quietSchema}".runs SET status = 'EXECUTING', lease = gen_random_uuid() WHERE id IN (SELECT id FROM "${quietSchema}".runs WHERE status = 'QUEUED' LIMIT 64)`);
  // Statistics gathered while every run had finished (a database between bursts): they put the
  // QUEUED runs at none, and the status index, which holds an entry for every run ever queued,
  // looked as cheap a way to them as the ready index.
  await migrate(client, finishedSchema);
  await client.query(`
    INSERT INTO "${finishedSchema}".runs (id, task_id, task_version, payload, status)
    SELECT 'run_' || i, 'task', '1', '{}', 'SUCCESS' FROM generate_series(1, 20000) AS i`);
  await client.query(`ANALYZE "${finishedSchema}".runs`);
  // The plan a connection settles on after its first executions of a prepared statement.
  await client.query("SET plan_cache_mode = force_generic_plan");
});

afterAll(async () => {
  await client.end();
  await dropSchemas(schema, quietSchema, finishedSchema);
});

async function genericPlan(name: string, text: string, params: number): Promise<string> {
  await client.query(`PREPARE ${name} AS ${text}`);
  const args = Array.from({ length: params }, () => "NULL").join(", ");
  const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN EXECUTE ${name}(${args})`);
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

const quietStatements = buildStatements(quietSchema);
const finishedStatements = buildStatements(finishedSchema);

describe("hot-path statements on a large runs table", () => {
  it.each([
    ["claim", statements.runs.claimMany, 2],
    ["journal write", statements.journal.writeMany, 4],
    ["journal write with metadata", statements.journal.writeManyWithMetadata, 4],
    ["journal write claiming nothing", statements.journal.writeManyNoClaim, 3],
    ["journal write with metadata claiming nothing", statements.journal.writeManyWithMetadataNoClaim, 3],
    ["claim, statistics from a quiet time", quietStatements.runs.claimMany, 2],
    ["journal write, statistics from a quiet time", quietStatements.journal.writeMany, 4],
    ["journal write with metadata, statistics from a quiet time", quietStatements.journal.writeManyWithMetadata, 4],
    ["token completion", statements.waitpoints.complete, 6],
    ["token completion, statistics from a quiet time", quietStatements.waitpoints.complete, 6],
    ["journal write claiming nothing, statistics from a quiet time", quietStatements.journal.writeManyNoClaim, 3],
    ["heartbeat", statements.runs.heartbeat, 2],
    ["heartbeat, statistics from a quiet time", quietStatements.runs.heartbeat, 2],
  ])("%s probes runs by primary key", async (_, text, params) => {
    const plan = await genericPlan(`p_${Math.random().toString(36).slice(2, 8)}`, text, params);
    // Taking ready runs walks the ready index, oldest first; every other access is by key.
    const onRuns = plan.split("\n").filter((line) => /Scan.* on runs\b/.test(line) && !line.includes("runs_ready_idx"));
    expect(onRuns.length).toBeGreaterThan(0);
    for (const line of onRuns) expect(line).toMatch(/Index Scan using runs_pkey on runs/);
  });
});

describe("a statement on one run, statistics from when every run had finished", () => {
  it.each([
    ["an end in a transaction", finishedStatements.runs.release, 7],
    ["a suspension", finishedStatements.runs.suspend, 3],
    ["a suspension on a token", finishedStatements.runs.suspendOnToken, 6],
    ["the fence of a transaction's write", finishedStatements.runs.fence, 2],
    ["a stopping worker's give-back", finishedStatements.runs.giveBack, 4],
    ["an expiry", finishedStatements.runs.expire, 3],
    ["a parent's wake-up", finishedStatements.runs.parentToWake, 2],
    ["a lone journal write", finishedStatements.journal.writeOne, 14],
    ["a lone journal write with metadata", finishedStatements.journal.writeOneWithMetadata, 18],
  ])("%s reaches the run by primary key, not through an index of a status", async (_, text, params) => {
    const plan = await genericPlan(`p_${Math.random().toString(36).slice(2, 8)}`, text, params);
    // A parent's wake-up also looks for its unfinished children, through the parent index.
    const onRuns = plan.split("\n").filter((line) => /Scan.* on runs\b/.test(line) && !line.includes("runs_parent_idx"));
    expect(onRuns.length).toBeGreaterThan(0);
    for (const line of onRuns) expect(line).toMatch(/Index Scan using runs_pkey on runs/);
  });
});

describe("claiming ready runs", () => {
  it.each([
    ["a claim", statements.runs.claimReady, 2],
    ["a claim, statistics from when every run had finished", finishedStatements.runs.claimReady, 2],
    ["a journal batch's claim, statistics from when every run had finished", finishedStatements.journal.writeMany, 4],
    ["a journal batch's claim with metadata, statistics from when every run had finished", finishedStatements.journal.writeManyWithMetadata, 4],
  ])("%s walks the ready index in claim order (priority and ties included), without sorting the ready runs", async (_, text, params) => {
    const plan = await genericPlan(`p_${Math.random().toString(36).slice(2, 8)}`, text, params);
    expect(plan).toMatch(/Index Scan using runs_ready_idx on runs/);
    expect(plan).not.toMatch(/Sort/);
    expect(plan).not.toMatch(/runs_status_idx/);
  });
});

describe("claiming in a queue with a concurrency or rate limit", () => {
  it.each([
    ["claim", statements.queues.claim, 5],
    ["wait for its turn", statements.queues.waitTurn, 1],
  ])("%s finds the run first in line by walking the queue's index in rank order, without sorting", async (_, text, params) => {
    const plan = await genericPlan(`p_${Math.random().toString(36).slice(2, 8)}`, text, params);
    expect(plan).toMatch(/Index Scan using runs_queue_turn_idx on runs c/);
    expect(plan).not.toMatch(/Sort/);
  });
});

describe("a journal batch", () => {
  it("compares no item with another: its journal rows come straight from the runs update", async () => {
    for (const [text, params] of [
      [quietStatements.journal.writeMany, 4], [quietStatements.journal.writeManyWithMetadata, 4],
      [quietStatements.journal.writeManyNoClaim, 3], [quietStatements.journal.writeManyWithMetadataNoClaim, 3],
    ] as const) {
      const plan = await genericPlan(`p_${Math.random().toString(36).slice(2, 8)}`, text, params);
      const insert = plan.split("\n").findIndex((line) => /Insert on journal/.test(line));
      const landed = plan.split("\n").findIndex((line) => /CTE landed/.test(line));
      expect(plan.split("\n").slice(insert, landed).join("\n")).not.toMatch(/Join Filter|CTE Scan on w\b/);
    }
  });
});

describe("a live subscriber catching up on a long run", () => {
  it("reads the journal entries after its revision through an index, not the whole journal", async () => {
    const plan = await genericPlan(`p_${Math.random().toString(36).slice(2, 8)}`, statements.feed.runSince, 2);
    const lines = plan.split("\n");
    const onJournal = lines.flatMap((line, i) => (/ on journal\b/.test(line) ? [lines.slice(i, i + 3).join("\n")] : []));
    // The run's first entries through the primary key, at most REVISION_INDEXED_AFTER of them;
    // the rest through the revision index, which holds only those.
    expect(onJournal).toHaveLength(2);
    expect(onJournal[0]).toMatch(new RegExp(`journal_pkey on journal[^]*Index Cond: .*seq <= ${REVISION_INDEXED_AFTER}\\)`));
    expect(onJournal[1]).toMatch(/journal_late_revision_idx on journal[^]*Index Cond: .*revision > /);
  });

  it("gets every entry after its revision, in revision order, on both sides of the indexed seq", async () => {
    const s = `"${schema}"`;
    const n = REVISION_INDEXED_AFTER * 2;
    // Entries out of seq order by revision, as parallel io calls and a retried step leave them.
    await client.query(`INSERT INTO ${s}.runs (id, task_id, task_version, payload, status, revision) VALUES ('run_since', 'task', '1', '{}', 'EXECUTING', $1)`, [n + 10]);
    await client.query(`
      INSERT INTO ${s}.journal (run_id, seq, kind, key, status, output, attempts, revision, started_at)
      SELECT 'run_since', i, 'task', 'step-' || i, 'completed', '{"json": null}', 1, CASE WHEN i % 7 = 0 THEN $1 - i % 5 ELSE i END, now()
      FROM generate_series(1, $2) AS i`, [n + 10, n]);
    for (const after of [0, REVISION_INDEXED_AFTER - 3, REVISION_INDEXED_AFTER + 3, n]) {
      const { rows: [run] } = await client.query<{ entries: { seq: number; revision: number }[] }>(statements.feed.runSince, ["run_since", after]);
      const { rows: expected } = await client.query<{ seq: number }>(
        `SELECT seq FROM ${s}.journal WHERE run_id = 'run_since' AND revision > $1 ORDER BY revision, seq`, [after]);
      expect(run!.entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(expected.map((e) => e.seq).sort((a, b) => a - b));
      const revisions = run!.entries.map((e) => Number(e.revision));
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    }
  });
});
