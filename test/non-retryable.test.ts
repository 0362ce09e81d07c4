import { describe, expect, it } from "vitest";
import { AbortTaskRunError, metadata, runs, task } from "durably";
import { serviceOf } from "../engine/internal.ts";
import { startTestEngine } from "./helpers/engine.ts";

// Backoffs long enough that a retry would show as a second attempt well before the poll's bound.
const slow = { minTimeoutInMs: 60_000, maxTimeoutInMs: 60_000, factor: 1, randomize: false };

describe("errors no retry can cure fail the run at once", () => {
  it("AbortTaskRunError thrown by the run's code fails it on its first attempt, message and code kept", async () => {
    let tries = 0;
    const aborts = task({
      id: "aborts",
      retry: { ...slow, maxAttempts: 5 },
      run: async () => {
        tries++;
        throw new AbortTaskRunError("card declined for good");
      },
    });
    await startTestEngine("abort_run", { tasks: [aborts] });
    const { id } = await aborts.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("FAILURE");
    expect(run.error).toMatchObject({ name: "AbortTaskRunError", message: "card declined for good", code: "ABORT_TASK_RUN" });
    expect(run.attempts).toBe(1);
    expect(tries).toBe(1);
  });

  it("AbortTaskRunError thrown inside a step fails the step and the run without retrying either", async () => {
    let tries = 0;
    const abortsInStep = task({
      id: "aborts-in-step",
      retry: { ...slow, maxAttempts: 5 },
      run: async (_: unknown, { io }) => {
        await io.runTask("charge", async () => {
          tries++;
          throw new AbortTaskRunError("no such customer");
        }, { retry: { ...slow, maxAttempts: 5 } });
      },
    });
    const engine = await startTestEngine("abort_step", { tasks: [abortsInStep] });
    const { id } = await abortsInStep.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("FAILURE");
    expect(run.error).toMatchObject({ message: "no such customer", code: "ABORT_TASK_RUN" });
    expect(tries).toBe(1);
    const journal = await serviceOf(engine).getJournal(id);
    expect(journal.map((e) => [e.key, e.status, e.attempts])).toEqual([["charge", "failed", 1]]);
  });

  it("metadata.set over the size limit fails the run at once, in the run's code or in a step", async () => {
    const big = "x".repeat(5_000);
    const tooBig = task({
      id: "too-big",
      retry: { ...slow, maxAttempts: 3 },
      run: async (where: "run" | "step", { io }) => {
        if (where === "run") await metadata.set("big", big);
        else await io.runTask("write", () => metadata.set("big", big), { retry: { ...slow, maxAttempts: 3 } });
      },
    });
    await startTestEngine("metadata_limit", { tasks: [tooBig] });
    for (const where of ["run", "step"] as const) {
      const { id } = await tooBig.trigger(where);
      const run = await runs.poll(id, { timeoutMs: 10_000 });
      expect(run.status).toBe("FAILURE");
      expect(run.error).toMatchObject({ code: "METADATA_TOO_LARGE" });
      expect(run.attempts).toBe(1);
    }
  });

  it("a step whose output is over the payload limit fails the run at once", async () => {
    let tries = 0;
    const hugeOutput = task({
      id: "huge-output",
      retry: { ...slow, maxAttempts: 3 },
      run: async (_: unknown, { io }) => io.runTask("fetch", async () => (tries++, "y".repeat(2_000))),
    });
    await startTestEngine("output_limit", { tasks: [hugeOutput], maxPayloadBytes: 1_000 });
    const { id } = await hugeOutput.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("FAILURE");
    expect(run.error).toMatchObject({ code: "INVALID_PAYLOAD" });
    expect(run.attempts).toBe(1);
    expect(tries).toBe(1);
  });

  it("a task's retry is its steps' policy too: maxAttempts 1 fails the run on the step's first throw", async () => {
    let tries = 0;
    const once = task({
      id: "one-attempt",
      retry: { maxAttempts: 1 },
      run: async (_: unknown, { io }) => {
        await io.runTask("flaky", async () => {
          tries++;
          throw new Error("transient");
        });
      },
    });
    await startTestEngine("task_retry_steps", { tasks: [once] });
    const { id } = await once.trigger({});
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("FAILURE");
    expect(run.error).toMatchObject({ message: "transient" });
    expect(tries).toBe(1);
  });
});
