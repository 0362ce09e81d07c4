import { describe, expect, it } from "vitest";
import { runs, task, wait } from "durably";
import { serviceOf } from "../engine/internal.ts";
import { startTestEngine } from "./helpers/engine.ts";

const fast = { minTimeoutInMs: 20, maxTimeoutInMs: 50, factor: 1, randomize: false };
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a step's timeout", () => {
  it("fails a hung attempt with a TimeoutError, aborts its signal, and retries it by the step's policy", async () => {
    const reasons: unknown[] = [];
    const hangsOnce = task({
      id: "hangs-once",
      run: async (_: unknown, { io }) =>
        io.runTask("call", async ({ attempt, signal }) => {
          if (attempt > 1) return "answered";
          await aborted(signal);
          reasons.push(signal.reason);
          return "too late";
        }, { timeout: 0.2, retry: { ...fast, maxAttempts: 2 } }),
    });
    const engine = await startTestEngine("step_timeout", { tasks: [hangsOnce] });
    const { id } = await hangsOnce.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.output).toBe("answered");
    expect(reasons).toMatchObject([{ code: "TIMEOUT", message: 'Step "call" timed out after 200 ms' }]);
    const journal = await serviceOf(engine).getJournal(id);
    expect(journal.map((e) => [e.key, e.status, e.attempts])).toEqual([["call", "completed", 2]]);
  });

  it("fails the run with the TimeoutError once the step's attempts run out", async () => {
    const alwaysHangs = task({
      id: "always-hangs",
      run: async (_: unknown, { io }) => io.runTask("call", ({ signal }) => aborted(signal), { timeout: "100ms", retry: { ...fast, maxAttempts: 2 } }),
    });
    await startTestEngine("step_timeout_out", { tasks: [alwaysHangs] });
    const { id } = await alwaysHangs.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("FAILURE");
    expect(run.error).toMatchObject({ code: "TIMEOUT", message: 'Step "call" timed out after 100 ms' });
  });

  it("fences a transactional step's tx once it timed out, so its late writes never land", async () => {
    const late: unknown[] = [];
    const slowWrite = task({
      id: "slow-write",
      run: async (_: unknown, { io }) =>
        io.runTask("write", async ({ attempt, tx, signal }) => {
          if (attempt > 1) return (await tx!.query<{ one: number }>("SELECT 1 AS one")).rows[0]!.one;
          await aborted(signal);
          late.push(await tx!.query("SELECT 1").catch((error: Error) => error.message));
          return 0;
        }, { transaction: true, timeout: 0.2, retry: fast }),
    });
    await startTestEngine("step_timeout_tx", { tasks: [slowWrite] });
    const { id } = await slowWrite.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.output).toBe(1);
    expect(late).toEqual(['Step "write" timed out after 200 ms']);
  });
});

describe("maxDuration", () => {
  it("fails a run executing past its task's maxDuration with MAX_DURATION_EXCEEDED, aborting the step in flight, without a retry", async () => {
    const reasons: unknown[] = [];
    const runaway = task({
      id: "runaway",
      maxDuration: 0.3,
      retry: { ...fast, maxAttempts: 3 },
      run: async (_: unknown, { io }) =>
        io.runTask("loop", async ({ signal }) => {
          await aborted(signal);
          reasons.push(signal.reason);
          // As fetch does: the step fails with the signal's reason, which must not start a step retry.
          throw signal.reason;
        }),
    });
    await startTestEngine("max_duration", { tasks: [runaway] });
    const { id } = await runaway.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("FAILURE");
    expect(run.error).toMatchObject({ code: "MAX_DURATION_EXCEEDED", message: "Run exceeded its maxDuration of 0.3 s of execution" });
    expect(run.attempts).toBe(1);
    expect(run.maxDuration).toBe(0.3);
    expect(reasons).toMatchObject([{ code: "MAX_DURATION_EXCEEDED" }]);
  });

  it("does not count time spent WAITING", async () => {
    const patient = task({
      id: "patient",
      maxDuration: 0.5,
      run: async (_: unknown, { io }) => {
        await wait.for({ seconds: 1 });
        return io.runTask("after", async () => "done");
      },
    });
    await startTestEngine("max_duration_wait", { tasks: [patient] });
    const { id } = await patient.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.output).toBe("done");
  });

  it("adds up the time of every execution of the run, across its waits", async () => {
    const twoHalves = task({
      id: "two-halves",
      maxDuration: 0.6,
      run: async (_: unknown, { io }) => {
        await io.runTask("first", () => sleep(400));
        await wait.for({ seconds: 0.2 });
        await io.runTask("second", ({ signal }) => Promise.race([sleep(5_000), aborted(signal)]));
      },
    });
    const engine = await startTestEngine("max_duration_sum", { tasks: [twoHalves] });
    const { id } = await twoHalves.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("FAILURE");
    expect(run.error).toMatchObject({ code: "MAX_DURATION_EXCEEDED" });
    const journal = await serviceOf(engine).getJournal(id);
    expect(journal.map((e) => [e.kind, e.status])).toEqual([["task", "completed"], ["wait", "completed"]]);
  });

  it("takes a trigger's maxDuration over the task's, and refuses one that is not positive seconds", async () => {
    const lenient = task({
      id: "lenient",
      maxDuration: 60,
      run: async (_: unknown, { io }) => io.runTask("loop", ({ signal }) => aborted(signal)),
    });
    await startTestEngine("max_duration_trigger", { tasks: [lenient] });
    const { id } = await lenient.trigger({}, { maxDuration: 0.2 });
    expect((await runs.retrieve(id)).maxDuration).toBe(0.2);
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.error).toMatchObject({ code: "MAX_DURATION_EXCEEDED", message: "Run exceeded its maxDuration of 0.2 s of execution" });
    await expect(lenient.trigger({}, { maxDuration: -1 })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
  });

  it("is taken from an HTTP trigger's options", async () => {
    const secretKey = "test-secret-key-0123456789";
    const endless = task({ id: "endless", run: async (_: unknown, { io }) => io.runTask("loop", ({ signal }) => aborted(signal)) });
    const engine = await startTestEngine("max_duration_http", { tasks: [endless], http: { port: 0 }, secretKey });
    const response = await fetch(`${engine.url}/api/tasks/endless/trigger`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secretKey}` },
      body: JSON.stringify({ payload: {}, options: { maxDuration: 0.2 } }),
    });
    const { id } = (await response.json()) as { id: string };
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.error).toMatchObject({ code: "MAX_DURATION_EXCEEDED" });
  });
});
