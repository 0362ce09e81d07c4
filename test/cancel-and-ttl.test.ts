import { describe, expect, it } from "vitest";
import { runs, task, wait } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { partsOf, serviceOf } from "../engine/internal.ts";

const untilTrue = (probe: () => Promise<boolean>) => until(async () => ((await probe()) ? true : undefined), 20_000);

describe("cancel", () => {
  it("cancels a waiting parent and cascades to its executing child, which stops at its next io call", async () => {
    let afterCancel = 0;
    let nextStepRan = 0;
    let started = 0;
    const { promise: canceledHeard, resolve: goOn } = Promise.withResolvers<void>();
    const slow = task({
      id: "slow-child",
      run: async (_: unknown, { io }) => {
        await io.runTask("start", async () => ++started);
        await canceledHeard;
        // The engine heard the cancel: the next step does not start, and the code stops there.
        await io.runTask("after", async () => ++nextStepRan);
        await io.runTask("later", async () => ++afterCancel);
        return "finished";
      },
    });
    const parent = task({ id: "cancel-parent", run: async () => slow.triggerAndWait({}) });
    const probe = task({ id: "cancel-probe", run: async () => "slot free" });
    // One slot: the probe runs only once the child's execution has stopped and let go of it.
    const engine = await startTestEngine("cancel", { tasks: [slow, parent, probe], concurrency: 1 });
    const { listener, channels } = partsOf(engine);
    const heard = new Set<string>();
    // Registered after the engine's own handler, so it runs once the engine has heard the cancel.
    listener.on(channels.cancel, (runId) => heard.add(runId));
    const { id } = await parent.trigger({});
    await untilTrue(async () => started === 1 && (await runs.retrieve(id)).status === "WAITING");
    await runs.cancel(id);
    const [child] = (await runs.list({ taskIdentifier: "slow-child" })).data;
    expect((await runs.retrieve(id)).status).toBe("CANCELED");
    expect(child!.status).toBe("CANCELED");
    expect(child!.parentRunId).toBe(id);
    await untilTrue(async () => heard.has(child!.id));
    goOn();
    expect((await runs.poll((await probe.trigger({})).id, { timeoutMs: 20_000 })).output).toBe("slot free");
    expect(afterCancel).toBe(0);
    expect(nextStepRan).toBe(0);
    expect((await runs.retrieve(child!.id)).status).toBe("CANCELED");
    const journal = await serviceOf(engine).getJournal(child!.id);
    expect(journal.map((e) => e.key)).toEqual(["start", `runs.cancel(${id})`]);
    expect(journal.at(-1)).toMatchObject({ kind: "cancel", key: `runs.cancel(${id})`, error: { code: "CANCELED" } });
    expect((await serviceOf(engine).getJournal(id)).at(-1)).toMatchObject({ kind: "cancel", key: `runs.cancel(${id})` });
  });

  it("canceling an awaited child wakes the parent, which sees RunFailedError with status CANCELED", async () => {
    const sleeper = task({ id: "sleeping-child", run: async () => { await wait.for({ seconds: 30 }); } });
    const parent = task({
      id: "waits-for-sleeper",
      run: async () => {
        try {
          await sleeper.triggerAndWait({});
          return "finished";
        } catch (error) {
          return (error as { status: string }).status;
        }
      },
    });
    await startTestEngine("cancel_child", { tasks: [sleeper, parent] });
    const { id } = await parent.trigger({});
    await untilTrue(async () => (await runs.list({ taskIdentifier: "sleeping-child", status: "WAITING" })).data.length === 1);
    const [child] = (await runs.list({ taskIdentifier: "sleeping-child" })).data;
    await runs.cancel(child!.id);
    expect((await runs.poll(id, { timeoutMs: 20_000 })).output).toBe("CANCELED");
  });

  it("a canceled run can be retried and resumes after its cancel marker", async () => {
    let steps = 0;
    const t = task({
      id: "cancel-retry",
      run: async (_: unknown, { io }) => {
        await io.runTask("one", async () => ++steps);
        await wait.for({ seconds: 0.5 });
        return io.runTask("two", async () => ++steps);
      },
    });
    await startTestEngine("cancel_retry", { tasks: [t] });
    const { id } = await t.trigger({});
    await untilTrue(async () => (await runs.retrieve(id)).status === "WAITING");
    await runs.cancel(id);
    await runs.retry(id);
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.output).toBe(2);
  });
});

describe("idempotency and ttl", () => {
  it("an idempotency key returns the same run until its TTL expires, then a new one", async () => {
    const t = task({ id: "idem", run: async (n: number) => n });
    await startTestEngine("idem", { tasks: [t] });
    const a = await t.trigger(1, { idempotencyKey: "k", idempotencyKeyTTL: 1 });
    const b = await t.trigger(2, { idempotencyKey: "k", idempotencyKeyTTL: 1 });
    expect(b.id).toBe(a.id);
    // A trigger within the TTL returns the first run and starts none.
    const c = await until(async () => {
      const handle = await t.trigger(3, { idempotencyKey: "k" });
      return handle.id === a.id ? undefined : handle;
    }, 20_000);
    const d = await t.trigger(4, { idempotencyKey: "k" });
    expect(d.id).toBe(c.id);
    expect((await runs.poll(c.id)).output).toBe(3);
    expect((await runs.retrieve(a.id)).idempotencyKey).toBeNull();
  });

  it("a run not started before its ttl is CANCELED with reason EXPIRED", async () => {
    const t = task({ id: "ttl", run: async () => "ran" });
    await startTestEngine("ttl", { tasks: [t] });
    const { id } = await t.trigger({}, { ttl: 1, delay: 3 });
    const run = await runs.poll(id, { timeoutMs: 10_000 });
    expect(run.status).toBe("CANCELED");
    expect(run.error).toMatchObject({ code: "EXPIRED" });
    expect(run.startedAt).toBeNull();
    const started = await t.trigger({}, { ttl: 5 });
    expect((await runs.poll(started.id)).status).toBe("SUCCESS");
  });
});
