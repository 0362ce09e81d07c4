import { describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { setFaultHandler } from "../engine/debug/fault-points.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { serviceOf } from "../engine/internal.ts";

const fast = { minTimeoutInMs: 20, maxTimeoutInMs: 50, factor: 1, randomize: false };

describe("retries resume where the run failed", () => {
  it("re-runs only the failing step, never the completed ones", async () => {
    const calls = { a: 0, b: 0, c: 0 };
    const flaky = task({
      id: "flaky",
      run: async (_: unknown, { io }) => {
        const a = await io.runTask("a", async () => ++calls.a);
        const b = await io.runTask(
          "b",
          async ({ attempt }) => {
            calls.b++;
            if (attempt < 3) throw new Error(`boom ${attempt}`);
            return "b-ok";
          },
          { retry: { ...fast, maxAttempts: 3 } },
        );
        const c = await io.runTask("c", async () => ++calls.c);
        return { a, b, c };
      },
    });
    const engine = await startTestEngine("retry_step", { tasks: [flaky] });
    const { id } = await flaky.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.output).toEqual({ a: 1, b: "b-ok", c: 1 });
    expect(calls).toEqual({ a: 1, b: 3, c: 1 });
    const journal = await serviceOf(engine).getJournal(id);
    expect(journal.map((e) => [e.key, e.status, e.attempts])).toEqual([
      ["a", "completed", 1],
      ["b", "completed", 3],
      ["c", "completed", 1],
    ]);
  });

  it("runs.retry resumes a failed run from the failed step, not from a cached error", async () => {
    const calls = { a: 0, b: 0 };
    let broken = true;
    const fragile = task({
      id: "fragile",
      retry: { maxAttempts: 1 },
      run: async (_: unknown, { io }) => {
        await io.runTask("a", async () => ++calls.a);
        return io.runTask(
          "b",
          async () => {
            calls.b++;
            if (broken) throw new Error("downstream is down");
            return "done";
          },
          { retry: { maxAttempts: 1 } },
        );
      },
    });
    await startTestEngine("retry_run", { tasks: [fragile] });
    const { id } = await fragile.trigger({});
    const failed = await runs.poll(id, { timeoutMs: 20_000 });
    expect(failed.status).toBe("FAILURE");
    expect(failed.error).toMatchObject({ message: "downstream is down", stack: expect.stringContaining("Error") });

    broken = false;
    await runs.retry(id);
    const resumed = await runs.poll(id, { timeoutMs: 20_000 });
    expect(resumed.status).toBe("SUCCESS");
    expect(resumed.output).toBe("done");
    expect(calls).toEqual({ a: 1, b: 2 });
    expect(resumed.attempts).toBe(2);
  });

  it("a manual retry gives the failed step a fresh set of attempts and keeps counting them all", async () => {
    let calls = 0;
    const hopeless = task({
      id: "hopeless",
      retry: { maxAttempts: 1 },
      run: async (_: unknown, { io }) =>
        io.runTask("b", async () => {
          calls++;
          throw new Error("still down");
        }, { retry: { ...fast, maxAttempts: 2 } }),
    });
    const engine = await startTestEngine("retry_rounds", { tasks: [hopeless] });
    const { id } = await hopeless.trigger({});
    expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
    expect(calls).toBe(2);
    await runs.retry(id);
    expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
    expect(calls).toBe(4);
    expect((await serviceOf(engine).getJournal(id)).map((e) => [e.key, e.status, e.attempts])).toEqual([["b", "failed", 4]]);
  });

  it("retries the whole run when its code throws outside a step, replaying completed steps", async () => {
    let a = 0;
    let thrown = 0;
    const once = task({
      id: "throws-once",
      retry: { ...fast, maxAttempts: 2 },
      run: async (_: unknown, { io, ctx }) => {
        await io.runTask("a", async () => ++a);
        if (thrown++ === 0) throw new Error("transient");
        return ctx.attempt;
      },
    });
    await startTestEngine("retry_whole", { tasks: [once] });
    const { id } = await once.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.output).toBe(2);
    expect(a).toBe(1);
  });

  it("replay starts a new run from an empty journal with the same payload", async () => {
    let a = 0;
    const echo = task({ id: "echo", run: async (p: { n: number }, { io }) => io.runTask("a", async () => p.n + ++a) });
    await startTestEngine("replay", { tasks: [echo] });
    const { id } = await echo.trigger({ n: 10 }, { tags: ["t1"] });
    await runs.poll(id);
    const { id: second } = await runs.replay(id);
    expect(second).not.toBe(id);
    const run = await runs.poll(second);
    expect(run.output).toBe(12);
    expect(run.payload).toEqual({ n: 10 });
    expect(run.tags).toEqual(["t1"]);
  });

  it("a retry whose hand-off committed but whose result was lost waits out its backoff and runs once", async () => {
    const attempts: number[] = [];
    const flaky = task({
      id: "flaky-handoff",
      run: async (_: unknown, { io }) =>
        io.runTask(
          "step",
          async ({ attempt }) => {
            attempts.push(Date.now());
            if (attempt === 1) throw new Error("boom");
            return "ok";
          },
          { retry: { minTimeoutInMs: 1_000, maxTimeoutInMs: 1_000, factor: 1, randomize: false, maxAttempts: 2 } },
        ),
    });
    let target: string | undefined;
    let lost = false;
    setFaultHandler((point, runId) => {
      if (runId !== target || lost || point !== "after-commit:writeAndHandOff") return;
      lost = true;
      throw Object.assign(new Error("connection lost after the hand-off committed"), { code: "57P01" });
    });
    try {
      await startTestEngine("retry_lost_handoff", { tasks: [flaky], pollIntervalMs: 50 });
      // Started by a job, the execution that loses its result holds that job.
      const { id } = await flaky.trigger({}, { delay: "300ms" });
      target = id;
      const run = await runs.poll(id, { timeoutMs: 20_000 });
      expect(run.status).toBe("SUCCESS");
      expect(lost).toBe(true);
      expect(attempts).toHaveLength(2);
      expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(900);
    } finally {
      setFaultHandler(undefined);
    }
  });
});
