import { afterAll, describe, expect, it } from "vitest";
import { NonDeterminismError, runs, task, wait } from "durably";
import { dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { withEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const schema = uniqueSchema("determinism");
afterAll(() => dropSchemas(schema));

describe("replay against changed code", () => {
  it("fails the run with a NonDeterminismError naming the seq, the recorded call and the new one", async () => {
    let sideEffects = 0;
    const v1 = task({
      id: "changing",
      run: async (_: unknown, { io }) => {
        await io.runTask("charge-card", async () => ++sideEffects);
        await wait.for({ seconds: 1 });
        return "v1";
      },
    });
    const { id } = await withEngine(schema, [v1], async () => {
      const handle = await v1.trigger({});
      await until(async () => ((await runs.retrieve(handle.id)).status === "WAITING" ? true : undefined), 20_000);
      return handle;
    });

    const v2 = task({
      id: "changing",
      run: async (_: unknown, { io }) => {
        await io.runTask("charge-customer", async () => ++sideEffects);
        await wait.for({ seconds: 1 });
        return "v2";
      },
    });
    const run = await withEngine(schema, [v2], () => runs.poll(id, { timeoutMs: 20_000 }));
    expect(run.status).toBe("FAILURE");
    expect(run.error).toMatchObject({
      name: "NonDeterminismError",
      code: "NON_DETERMINISM",
      details: {
        seq: 1,
        expected: { kind: "task", key: "charge-card" },
        actual: { kind: "task", key: "charge-customer" },
        callSite: expect.stringContaining("determinism.test.ts"),
      },
    });
    expect(sideEffects).toBe(1);
    // Nothing was written past the divergence: the journal is exactly what v1 recorded.
    const journal = await sql<{ seq: number; kind: string; key: string }>(`SELECT seq, kind, key FROM "${schema}".journal WHERE run_id = $1 ORDER BY seq`, [id]);
    expect(journal.map((e) => [e.seq, e.kind, e.key])).toEqual([[1, "task", "charge-card"], [2, "wait", "wait.for"]]);
  });

  it("treats a removed call at the end of the journal as a divergence too", async () => {
    const v1 = task({
      id: "shrinking",
      run: async (_: unknown, { io }) => {
        await io.runTask("one", async () => 1);
        await io.runTask("two", async () => 2);
        await wait.for({ seconds: 1 });
      },
    });
    const { id } = await withEngine(schema, [v1], async () => {
      const handle = await v1.trigger({});
      await until(async () => ((await runs.retrieve(handle.id)).status === "WAITING" ? true : undefined), 20_000);
      return handle;
    });
    const v2 = task({ id: "shrinking", run: async (_: unknown, { io }) => io.runTask("one", async () => 1) });
    const run = await withEngine(schema, [v2], () => runs.poll(id, { timeoutMs: 20_000 }));
    expect(run.status).toBe("FAILURE");
    expect(run.error?.details).toMatchObject({ seq: 2, expected: { kind: "task", key: "two" }, actual: null });
  });

  it("exposes the structured fields on the error class", () => {
    const error = new NonDeterminismError({ runId: "run_x", seq: 3, expected: { kind: "wait", key: "a" }, actual: { kind: "task", key: "b" } });
    expect(error).toMatchObject({ code: "NON_DETERMINISM", runId: "run_x", seq: 3, expected: { kind: "wait", key: "a" }, actual: { kind: "task", key: "b" } });
    expect(error.message).toContain('recorded wait("a"), code called task("b")');
  });
});
