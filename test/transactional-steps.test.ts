import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { serviceOf } from "../engine/internal.ts";

const side = `t_txsteps_${Math.random().toString(36).slice(2, 8)}`;
beforeAll(() => sql(`CREATE SCHEMA "${side}"; CREATE TABLE "${side}".rows (run_id text, step text, attempt int)`));
afterAll(() => sql(`DROP SCHEMA IF EXISTS "${side}" CASCADE`));

const rowsOf = (runId: string) =>
  sql<{ step: string; attempt: number }>(`SELECT step, attempt FROM "${side}".rows WHERE run_id = $1 ORDER BY step, attempt`, [runId]);

describe("transactional steps ({ transaction: true })", () => {
  it("commit the step's own writes together with its journal entry", async () => {
    const writer = task({
      id: "tx-writer",
      run: async (_: unknown, { io, ctx }) =>
        io.runTask("insert", async ({ tx, attempt }) => {
          await tx!.query(`INSERT INTO "${side}".rows VALUES ($1, 'insert', $2)`, [ctx.run.id, attempt]);
          const { rows } = await tx!.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${side}".rows WHERE run_id = $1`, [ctx.run.id]);
          return rows[0]!.n;
        }, { transaction: true }),
    });
    const engine = await startTestEngine("tx_commit", { tasks: [writer] });
    const { id } = await writer.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run).toMatchObject({ status: "SUCCESS", output: 1 });
    expect(await rowsOf(id)).toEqual([{ step: "insert", attempt: 1 }]);
    expect((await serviceOf(engine).getJournal(id)).map((e) => [e.kind, e.key, e.status, e.output])).toEqual([["task", "insert", "completed", 1]]);
  });

  it("roll the step's writes back when it throws, so only the attempt that succeeded leaves rows", async () => {
    const flaky = task({
      id: "tx-flaky",
      run: async (_: unknown, { io, ctx }) =>
        io.runTask("insert", async ({ tx, attempt }) => {
          await tx!.query(`INSERT INTO "${side}".rows VALUES ($1, 'insert', $2)`, [ctx.run.id, attempt]);
          if (attempt < 3) throw new Error(`attempt ${attempt} fails after writing`);
          return attempt;
        }, { transaction: true, retry: { maxAttempts: 3, minTimeoutInMs: 50, randomize: false } }),
    });
    const engine = await startTestEngine("tx_rollback", { tasks: [flaky] });
    const { id } = await flaky.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run).toMatchObject({ status: "SUCCESS", output: 3 });
    expect(await rowsOf(id)).toEqual([{ step: "insert", attempt: 3 }]);
    expect((await serviceOf(engine).getJournal(id))[0]).toMatchObject({ status: "completed", attempts: 3 });
  });

  it("roll back an execution that lost its lease mid-step: a stale worker's writes never land", async () => {
    let schema = "";
    let tookOver: () => void = () => undefined;
    const takenOver = new Promise<void>((resolve) => (tookOver = resolve));
    const stale = task({
      id: "tx-stale",
      run: async (_: unknown, { io, ctx }) =>
        io.runTask("insert", async ({ tx }) => {
          await tx!.query(`INSERT INTO "${side}".rows VALUES ($1, 'insert', 1)`, [ctx.run.id]);
          // Another worker takes the run over while this one is still inside the step.
          await sql(`UPDATE "${schema}".runs SET lease = gen_random_uuid() WHERE id = $1`, [ctx.run.id]);
          tookOver();
          return "late";
        }, { transaction: true }),
    });
    const probe = task({ id: "tx-probe", run: async () => "slot free" });
    // One slot: the probe runs only once the stale execution's commit was refused and it let go.
    const engine = await startTestEngine("tx_fenced", { tasks: [stale, probe], concurrency: 1 });
    schema = engine.options.schema;
    const { id } = await stale.trigger({});
    await takenOver;
    expect((await runs.poll((await probe.trigger({})).id, { timeoutMs: 20_000 })).output).toBe("slot free");
    expect(await rowsOf(id)).toEqual([]);
    expect(await serviceOf(engine).getJournal(id)).toEqual([]);
    await runs.cancel(id);
  });

  it("give the step no tx without the option", async () => {
    let seen: unknown = "unset";
    const plain = task({ id: "tx-none", run: async (_: unknown, { io }) => io.runTask("look", async ({ tx }) => void (seen = tx)) });
    await startTestEngine("tx_none", { tasks: [plain] });
    const { id } = await plain.trigger({});
    expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("SUCCESS");
    expect(seen).toBeUndefined();
  });
});
