import { describe, expect, it } from "vitest";
import { RunFailedError, runs, task, tasks, wait } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { serviceOf } from "../engine/internal.ts";

describe("child runs", () => {
  it("triggerAndWait returns the child's output and the parent waits without a worker slot", async () => {
    const double = task({ id: "double", run: async (n: number) => n * 2 });
    const parent = task({
      id: "parent",
      run: async (n: number) => {
        const a = await double.triggerAndWait(n);
        const b = await double.triggerAndWait(a);
        return [a, b];
      },
    });
    const engine = await startTestEngine("child_wait", { tasks: [double, parent], concurrency: 1 });
    const { id } = await parent.trigger(3);
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.output).toEqual([6, 12]);
    const journal = await serviceOf(engine).getJournal(id);
    expect(journal.map((e) => e.kind)).toEqual(["triggerAndWait", "waitRuns", "triggerAndWait", "waitRuns"]);
    const children = await sql<{ id: string; parent_run_id: string }>(`SELECT id, parent_run_id FROM "${engine.options.schema}".runs WHERE parent_run_id = $1`, [id]);
    expect(children).toHaveLength(2);
  });

  it("triggerAndWait throws RunFailedError carrying the child's error", async () => {
    const broken = task({ id: "broken", retry: { maxAttempts: 1 }, run: async () => { throw new Error("child blew up"); } });
    const parent = task({
      id: "catcher",
      retry: { maxAttempts: 1 },
      run: async () => {
        try {
          await broken.triggerAndWait({});
          return "no";
        } catch (error) {
          return { caught: error instanceof RunFailedError, code: (error as RunFailedError).code, message: (error as RunFailedError).error.message };
        }
      },
    });
    await startTestEngine("child_fail", { tasks: [broken, parent] });
    const { id } = await parent.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.output).toEqual({ caught: true, code: "RUN_FAILED", message: "child blew up" });
  });

  it("batchTriggerAndWait returns every child's result in order", async () => {
    const square = task({
      id: "square",
      retry: { maxAttempts: 1 },
      run: async (n: number) => {
        await wait.for({ seconds: (5 - n) * 0.1 });
        if (n === 3) throw new Error("no threes");
        return n * n;
      },
    });
    const fan = task({
      id: "fan",
      run: async () => {
        const { runs: results } = await square.batchTriggerAndWait([0, 1, 2, 3, 4].map((n) => ({ payload: n })));
        return results.map((r) => (r.ok ? r.output : r.error.message));
      },
    });
    await startTestEngine("child_batch", { tasks: [square, fan] });
    const { id } = await fan.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.output).toEqual([0, 1, 4, "no threes", 16]);
  });

  it("batchTrigger inside a run gives a batch id, the same when the run replays, followed by subscribeToBatch", async () => {
    const leaf = task({ id: "batch-leaf", run: async (n: number) => n * 10 });
    const seen: (string | undefined)[] = [];
    const root = task({
      id: "batch-root",
      run: async () => {
        const handle = await leaf.batchTrigger([{ payload: 1 }, { payload: 2 }]);
        seen.push(handle.batchId);
        // The wait suspends the run: it resumes by replaying the journal, batchTrigger included.
        await wait.for({ seconds: 0.1 });
        return { batchId: handle.batchId, ids: handle.runs.map((r) => r.id) };
      },
    });
    const engine = await startTestEngine("batch_in_run", { tasks: [leaf, root] });
    const { id } = await root.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    const { batchId, ids } = run.output as { batchId: string; ids: string[] };
    expect(batchId).toMatch(/^batch_/);
    expect(seen).toEqual([batchId, batchId]);
    const snapshots = new Map<string, string>();
    for await (const child of runs.subscribeToBatch(batchId)) snapshots.set(child.id, child.status);
    expect([...snapshots.keys()].sort()).toEqual([...ids].sort());
    expect([...snapshots.values()]).toEqual(["SUCCESS", "SUCCESS"]);
    const [row] = await sql<{ run_ids: string[] }>(`SELECT run_ids FROM "${engine.options.schema}".batches WHERE id = $1`, [batchId]);
    expect(row!.run_ids).toEqual(ids);
  });

  it("batchTriggerAndWait gives the batch id with the results (Trigger.dev's { id, runs }), the same when the run replays; tasks.batchTriggerAndWait too", async () => {
    const leaf = task({ id: "wait-batch-leaf", run: async (n: number) => n * 10 });
    const seen: string[] = [];
    const root = task({
      id: "wait-batch-root",
      run: async () => {
        const first = await leaf.batchTriggerAndWait([{ payload: 1 }, { payload: 2 }]);
        seen.push(first.id);
        const second = await tasks.batchTriggerAndWait<typeof leaf>("wait-batch-leaf", [{ payload: 3 }]);
        // The wait suspends the run: it resumes by replaying the journal, both batches included.
        await wait.for({ seconds: 0.1 });
        return { first: first.id, firstIds: first.runs.map((r) => r.id), outputs: [...first.runs, ...second.runs].map((r) => r.ok && r.output), second: second.id };
      },
    });
    const engine = await startTestEngine("wait_batch_in_run", { tasks: [leaf, root] });
    const { id } = await root.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    const { first, firstIds, outputs, second } = run.output as { first: string; firstIds: string[]; outputs: number[]; second: string };
    expect(outputs).toEqual([10, 20, 30]);
    expect(first).toMatch(/^batch_/);
    expect(second).toMatch(/^batch_/);
    expect(second).not.toBe(first);
    // Every execution of the run saw the same id for the first batch.
    expect(new Set(seen)).toEqual(new Set([first]));
    expect(seen.length).toBeGreaterThan(1);
    const [row] = await sql<{ run_ids: string[] }>(`SELECT run_ids FROM "${engine.options.schema}".batches WHERE id = $1`, [first]);
    expect(row!.run_ids).toEqual(firstIds);
    const snapshots = new Map<string, string>();
    for await (const child of runs.subscribeToBatch(first)) snapshots.set(child.id, child.status);
    expect([...snapshots.values()]).toEqual(["SUCCESS", "SUCCESS"]);
  });

  it("batchTrigger from outside a run starts every run", async () => {
    const echo = task({ id: "echo-batch", run: async (n: number) => n });
    await startTestEngine("batch_outside", { tasks: [echo] });
    const { runs: handles } = await echo.batchTrigger([{ payload: 1 }, { payload: 2 }]);
    const done = await Promise.all(handles.map((h) => runs.poll(h.id, { timeoutMs: 20_000 })));
    expect(done.map((r) => r.output)).toEqual([1, 2]);
  });
});
