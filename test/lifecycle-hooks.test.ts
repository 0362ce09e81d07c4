import { afterAll, describe, expect, it } from "vitest";
import { runs, task, wait, type LifecycleHooks } from "durably";
import { createEngine } from "durably/engine";
import { setFaultHandler } from "../engine/debug/fault-points.ts";
import { serviceOf } from "../engine/internal.ts";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const fast = { minTimeoutInMs: 20, maxTimeoutInMs: 50, factor: 1, randomize: false };

/** Hooks that note each call as "<who> <hook>", for the engine or a task. */
function noting(who: string, calls: string[]): LifecycleHooks {
  return {
    onStart: ({ task }) => void calls.push(`${who} onStart ${task}`),
    onSuccess: ({ output }) => void calls.push(`${who} onSuccess ${JSON.stringify(output)}`),
    onFailure: ({ error }) => void calls.push(`${who} onFailure ${(error as Error).message}`),
    onCancel: ({ ctx }) => void calls.push(`${who} onCancel ${ctx.task.id}`),
  };
}

describe("lifecycle hooks", () => {
  it("calls onStart and onSuccess once each, the engine's before the task's, though the run executes twice around its wait", async () => {
    const calls: string[] = [];
    const waits = task({
      id: "hooked-wait",
      ...noting("task", calls),
      run: async (payload: { n: number }, { io }) => {
        const a = await io.runTask("a", async () => payload.n);
        await wait.for({ seconds: 0.2 });
        return io.runTask("b", async () => a + 1);
      },
    });
    const engine = await startTestEngine("hooks_once", { tasks: [waits], hooks: noting("engine", calls) });
    const { id } = await waits.trigger({ n: 1 });
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("SUCCESS");
    expect(calls).toEqual(["engine onStart hooked-wait", "task onStart hooked-wait", "engine onSuccess 2", "task onSuccess 2"]);
    const journal = await serviceOf(engine).getJournal(id);
    expect(journal.map((e) => [e.seq, e.kind, e.key])).toEqual([
      [1, "hook", "onStart"], [2, "task", "a"], [3, "wait", expect.any(String)], [4, "task", "b"], [5, "hook", "onSuccess"],
    ]);
  });

  it("calls onFailure once, when the run fails for good, not before its retry", async () => {
    const calls: string[] = [];
    const fails = task({
      id: "hooked-failure",
      retry: { ...fast, maxAttempts: 2 },
      ...noting("task", calls),
      run: async (_: unknown, { ctx }) => {
        throw new Error(`attempt ${ctx.attempt}`);
      },
    });
    await startTestEngine("hooks_failure", { tasks: [fails] });
    const { id } = await fails.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("FAILURE");
    expect(calls).toEqual(["task onStart hooked-failure", "task onFailure attempt 2"]);
  });

  it("an onStart that throws fails the attempt, and is called again on the retry", async () => {
    let starts = 0;
    const flakyStart = task({
      id: "flaky-start",
      retry: { ...fast, maxAttempts: 2 },
      onStart: () => {
        if (++starts === 1) throw new Error("not yet");
      },
      run: async () => "ran",
    });
    const engine = await startTestEngine("hooks_start_throws", { tasks: [flakyStart] });
    const { id } = await flakyStart.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run).toMatchObject({ status: "SUCCESS", output: "ran", attempts: 2 });
    expect(starts).toBe(2);
    expect((await serviceOf(engine).getJournal(id)).map((e) => e.key)).toEqual(["onStart"]);
  });

  it("an onSuccess or onFailure that throws is logged and leaves the run's outcome as it was", async () => {
    const throwsAfter = task({
      id: "throws-after",
      retry: { maxAttempts: 1 },
      onSuccess: () => {
        throw new Error("hook broke");
      },
      onFailure: () => {
        throw new Error("hook broke");
      },
      run: async (fail: boolean) => {
        if (fail) throw new Error("the run's own error");
        return "fine";
      },
    });
    await startTestEngine("hooks_throw_after", { tasks: [throwsAfter], logLevel: "silent" });
    const succeeded = await runs.poll((await throwsAfter.trigger(false)).id, { timeoutMs: 10_000 });
    expect(succeeded).toMatchObject({ status: "SUCCESS", output: "fine" });
    const failed = await runs.poll((await throwsAfter.trigger(true)).id, { timeoutMs: 10_000 });
    expect(failed).toMatchObject({ status: "FAILURE", error: { message: "the run's own error" } });
  });

  it("calls onCancel when a cancel reaches the run while it executes, after aborting the step in flight, and neither onSuccess nor onFailure", async () => {
    const calls: string[] = [];
    const { promise: stepStarted, resolve: started } = Promise.withResolvers<void>();
    const long = task({
      id: "hooked-cancel",
      ...noting("task", calls),
      run: async (_: unknown, { io }) => {
        await io.runTask("hangs", ({ signal }) => {
          started();
          return new Promise<void>((_, reject) => signal.addEventListener("abort", () => {
            calls.push(`step aborted: ${(signal.reason as { code: string }).code}`);
            reject(signal.reason as Error);
          }));
        });
      },
    });
    await startTestEngine("hooks_cancel", { tasks: [long], hooks: noting("engine", calls) });
    const { id } = await long.trigger({});
    await stepStarted;
    await runs.cancel(id);
    await until(async () => (calls.length === 5 ? true : undefined), 10_000);
    expect(calls).toEqual([
      "engine onStart hooked-cancel", "task onStart hooked-cancel", "step aborted: CANCELED", "engine onCancel hooked-cancel", "task onCancel hooked-cancel",
    ]);
    expect((await runs.retrieve(id)).status).toBe("CANCELED");
  });

  it("does not call onSuccess again when the run is replayed after its call was recorded but before it ended", async () => {
    const calls: string[] = [];
    const once = task({ id: "hooked-crash", ...noting("task", calls), run: async (_: unknown, { io }) => io.runTask("a", async () => "out") });
    let target: string | undefined;
    let writes = 0;
    setFaultHandler((point, runId) => {
      // The third write of the run is the onSuccess marker (after onStart's and the step's).
      if (runId !== target || point !== "after-commit:write" || ++writes !== 3) return;
      throw Object.assign(new Error("connection lost after the onSuccess marker committed"), { code: "57P01" });
    });
    try {
      await startTestEngine("hooks_crash", { tasks: [once], pollIntervalMs: 50 });
      // Started by a job, so the execution that loses its result hands that job back.
      const { id } = await once.trigger({}, { delay: "200ms" });
      target = id;
      const run = await runs.poll(id, { timeoutMs: 20_000 });
      expect(run).toMatchObject({ status: "SUCCESS", output: "out" });
      expect(writes).toBeGreaterThanOrEqual(3);
      expect(calls).toEqual(["task onStart hooked-crash", 'task onSuccess "out"']);
    } finally {
      setFaultHandler(undefined);
    }
  });

  describe("added while a run is under way", () => {
    const schema = uniqueSchema("hooks_deploy");
    afterAll(() => dropSchemas(schema));

    it("leaves the run's journal replaying as recorded: no onStart, onSuccess at its end", async () => {
      const calls: string[] = [];
      const steps = task({
        id: "hooked-later",
        run: async (_: unknown, { io }) => {
          const a = await io.runTask("a", async () => 1);
          await io.wait("pause", 0.3);
          return io.runTask("b", async () => a + 1);
        },
      });
      const before = createEngine({ databaseUrl: TEST_DATABASE_URL, schema, tasks: [steps], logLevel: "silent", pollIntervalMs: 100 });
      await before.start();
      let id: string;
      try {
        ({ id } = await steps.trigger({}));
        await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 10_000);
      } finally {
        await before.stop();
      }
      const engine = await startTestEngine("hooks_deploy", { schema, tasks: [steps], hooks: noting("engine", calls) });
      const run = await runs.poll(id, { timeoutMs: 10_000 });
      expect(run).toMatchObject({ status: "SUCCESS", output: 2 });
      expect(calls).toEqual(["engine onSuccess 2"]);
      const journal = await serviceOf(engine).getJournal(id);
      expect(journal.map((e) => [e.seq, e.kind, e.key])).toEqual([[1, "task", "a"], [2, "wait", "pause"], [3, "task", "b"], [4, "hook", "onSuccess"]]);
    });
  });
});
