import { describe, expect, it } from "vitest";
import { Client, eventTrigger, runs, task, wait, type LifecycleHooks } from "durably";
import { serviceOf } from "../engine/internal.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

function noting(who: string, calls: string[]): LifecycleHooks {
  return {
    onStart: ({ task }) => void calls.push(`${who} onStart ${task}`),
    onSuccess: ({ output }) => void calls.push(`${who} onSuccess ${JSON.stringify(output)}`),
    onCancel: ({ ctx, payload }) => void calls.push(`${who} onCancel ${ctx.run.id} ${JSON.stringify(payload)}`),
  };
}

describe("onCancel of a run no execution holds", () => {
  it("is called once, journaled, for a run canceled while delayed and one canceled while WAITING, with two engines running", async () => {
    const calls: string[] = [];
    const sleeper = task({
      id: "cancel-sleeper",
      ...noting("task", calls),
      run: async (_: { n: number }, { io }) => {
        await io.runTask("before", async () => "done");
        await wait.for({ seconds: 600 });
      },
    });
    const a = await startTestEngine("cancel_hooks_a", { tasks: [sleeper], hooks: noting("engine", calls) });
    await startTestEngine("cancel_hooks_b", { schema: a.options.schema, tasks: [sleeper], hooks: noting("engine", calls) });
    const delayed = await sleeper.trigger({ n: 1 }, { delay: "10m" });
    const waiting = await sleeper.trigger({ n: 2 });
    await until(async () => ((await runs.retrieve(waiting.id)).status === "WAITING" ? true : undefined), 10_000);
    await runs.cancel(delayed.id);
    await runs.cancel(waiting.id);
    const expected = [
      `engine onCancel ${delayed.id} {"n":1}`, `task onCancel ${delayed.id} {"n":1}`,
      `engine onCancel ${waiting.id} {"n":2}`, `task onCancel ${waiting.id} {"n":2}`,
    ];
    const cancels = () => calls.filter((c) => c.includes("onCancel"));
    await until(async () => (cancels().length >= 4 ? true : undefined), 10_000);
    expect(cancels().sort()).toEqual(expected.sort());
    for (const id of [delayed.id, waiting.id]) {
      // The hook is journaled once it has returned, so its marker may commit after the call is seen.
      const journal = await until(async () => {
        const entries = await serviceOf(a).getJournal(id);
        return entries.some((e) => e.kind === "hook" && e.key === "onCancel") ? entries : undefined;
      }, 10_000);
      expect(journal.filter((e) => e.kind === "hook" && e.key === "onCancel")).toHaveLength(1);
      expect((await runs.retrieve(id)).status).toBe("CANCELED");
    }
    // Retried and canceled again, the run has had its onCancel: not called twice.
    await runs.retry(delayed.id);
    await runs.cancel(delayed.id);
    const marker = await until(async () => {
      const journal = await serviceOf(a).getJournal(delayed.id);
      return journal.filter((e) => e.kind === "cancel").length === 2 ? journal : undefined;
    }, 10_000);
    expect(marker.filter((e) => e.kind === "hook" && e.key === "onCancel")).toHaveLength(1);
    expect(cancels()).toHaveLength(4);
  });

  it("is journaled too when the cancel reaches the run while it executes", async () => {
    const calls: string[] = [];
    const { promise: stepStarted, resolve: started } = Promise.withResolvers<void>();
    const long = task({
      id: "cancel-executing",
      ...noting("task", calls),
      run: async (_: unknown, { io }) => {
        await io.runTask("hangs", ({ signal }) => {
          started();
          return new Promise<void>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error)));
        });
      },
    });
    const engine = await startTestEngine("cancel_hooks_executing", { tasks: [long] });
    const { id } = await long.trigger({});
    await stepStarted;
    await runs.cancel(id);
    const journal = await until(async () => {
      const entries = await serviceOf(engine).getJournal(id);
      return entries.some((e) => e.kind === "hook" && e.key === "onCancel") ? entries : undefined;
    }, 10_000);
    expect(journal.filter((e) => e.kind === "hook").map((e) => e.key)).toEqual(["onStart", "onCancel"]);
    expect(calls.filter((c) => c.includes("onCancel"))).toHaveLength(1);
  });
});

describe("lifecycle hooks of a v2 job", () => {
  it("calls a job's onStart, onSuccess and onCancel as a task's", async () => {
    const calls: string[] = [];
    const client = new Client({ id: "hooked-client" });
    client.defineJob({
      id: "hooked-job",
      name: "Hooked job",
      version: "1.0.0",
      trigger: eventTrigger({ name: "hooked.event" }),
      ...noting("job", calls),
      run: async (payload: { n: number }, io) => {
        if (payload.n === 0) await io.wait("forever", 600);
        return io.runTask("double", async () => payload.n * 2);
      },
    });
    const engine = await startTestEngine("job_hooks", { clients: [client] });
    const event = await client.sendEvent({ name: "hooked.event", payload: { n: 21 } });
    const [runId] = (await serviceOf(engine).listRuns({ eventId: event.id })).data.map((r) => r.id);
    expect((await runs.poll(runId!, { timeoutMs: 10_000 })).output).toBe(42);
    expect(calls).toEqual(["job onStart hooked-job", "job onSuccess 42"]);

    const waiting = await client.sendEvent({ name: "hooked.event", payload: { n: 0 } });
    const [waitingId] = (await serviceOf(engine).listRuns({ eventId: waiting.id })).data.map((r) => r.id);
    await until(async () => ((await runs.retrieve(waitingId!)).status === "WAITING" ? true : undefined), 10_000);
    await runs.cancel(waitingId!);
    await until(async () => (calls.length === 4 ? true : undefined), 10_000);
    expect(calls.slice(2)).toEqual(["job onStart hooked-job", `job onCancel ${waitingId} {"n":0}`]);
  });
});
