import { describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

describe("runs that can start at once", () => {
  it("are claimed from runs without a pg-boss job; delayed runs and runs of limited queues keep one", async () => {
    const plain = task({ id: "plain", run: async () => null });
    const limited = task({ id: "limited", queue: { concurrencyLimit: 1 }, run: async () => null });
    const engine = await startTestEngine("ready_jobs", { tasks: [plain, limited], worker: false });
    const ready = await plain.trigger({});
    const burst = await plain.batchTrigger([{ payload: {} }, { payload: {} }]);
    const delayed = await plain.trigger({}, { delay: "1h" });
    const inQueue = await limited.trigger({});
    const mixed = await limited.batchTrigger([{ payload: {} }]);

    const jobs = await sql<{ run_id: string }>(
      `SELECT data ->> 'runId' AS run_id FROM "${engine.options.schema}_boss".job WHERE name = 'durably-run' AND data ->> 'reason' = 'start'`,
    );
    expect(jobs.map((j) => j.run_id).sort()).toEqual([delayed.id, inQueue.id, mixed.runs[0]!.id].sort());
    const readyRows = await sql<{ id: string }>(`SELECT id FROM "${engine.options.schema}".runs WHERE ready_at IS NOT NULL`);
    expect(readyRows.map((r) => r.id).sort()).toEqual([ready.id, ...burst.runs.map((r) => r.id)].sort());
  });

  it("are claimed many at once by a worker with many free slots", async () => {
    const quick = task({ id: "quick-many", run: async (p: { i: number }) => p.i });
    const client = await startTestEngine("ready_many", { tasks: [quick], worker: false });
    const { runs } = await quick.batchTrigger(Array.from({ length: 300 }, (_, i) => ({ payload: { i } })));
    // No fallback poll to lean on: every claim must come from notifications and freed slots.
    await startTestEngine("ready_many_worker", { schema: client.options.schema, tasks: [quick], concurrency: 400, pollIntervalMs: 60_000 });
    const done = await until(async () => {
      const rows = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${client.options.schema}".runs WHERE status = 'SUCCESS'`);
      return rows[0]!.n === runs.length ? rows[0]!.n : undefined;
    }, 20_000);
    expect(done).toBe(300);
  });
});

describe("a run executing longer than the heartbeat timeout", () => {
  it("is kept by its live worker: the recovery pass does not hand it to another execution", async () => {
    let executions = 0;
    const slow = task({
      id: "slow-step",
      run: async (_: unknown, { io }) =>
        io.runTask("long", async () => {
          executions++;
          // Twice the heartbeat timeout, with a recovery pass every second meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 4_000));
          return "done";
        }),
    });
    await startTestEngine("ready_heartbeat", { tasks: [slow], heartbeatSeconds: 2, recoverySeconds: 1 });
    const { id } = await slow.trigger({});
    const run = await runs.poll(id, { timeoutMs: 30_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.attempts).toBe(1);
    expect(executions).toBe(1);
  });
});

describe("runs claimed together with other runs' journal writes", () => {
  it("start with the same context, payload and metadata as runs claimed on their own", async () => {
    const stepping = task({
      id: "stepping",
      run: async (p: { i: number }, { io, ctx }) => {
        await io.runTask("one", async () => p.i);
        await io.runTask("two", async () => p.i);
        return {
          i: p.i,
          createdAt: ctx.run.createdAt instanceof Date && !Number.isNaN(ctx.run.createdAt.getTime()),
          tags: ctx.run.tags,
          attempt: ctx.attempt,
        };
      },
    });
    await startTestEngine("ready_batch_claims", { tasks: [stepping], concurrency: 4, pollIntervalMs: 60_000 });
    const { runs: handles } = await stepping.batchTrigger(Array.from({ length: 40 }, (_, i) => ({ payload: { i }, options: { tags: ["batch"], metadata: { n: i } } })));
    const finished = await Promise.all(handles.map((h) => runs.poll(h.id, { timeoutMs: 30_000 })));
    expect(finished.map((r) => r.output)).toEqual(handles.map((_, i) => ({ i, createdAt: true, tags: ["batch"], attempt: 1 })));
    expect(finished.map((r) => r.metadata)).toEqual(handles.map((_, i) => ({ n: i })));
  });
});
