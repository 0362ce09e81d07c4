import { describe, expect, it, vi } from "vitest";
import { task, wait } from "durably";
import { runChanges, type RunChange } from "../engine/notify/listener.ts";
import { RunWaiters } from "../engine/notify/run-waiters.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";
import { partsOf, serviceOf } from "../engine/internal.ts";

/** pollRun's sweep finds a finished run within 5 s; a wake-up well before it came from the run's end. */
const BEFORE_FALLBACK_MS = 2_500;

describe("waiting for runs", () => {
  it("a run's notifications say that it finished only in the change that ends it, batched or alone", async () => {
    const stepper = task({
      id: "stepper",
      run: async (p: { i: number }, { io }) => {
        await io.runTask("one", async () => p.i);
        await io.runTask("two", async () => p.i);
        return p.i;
      },
    });
    const engine = await startTestEngine("waiters_end", { tasks: [stepper], concurrency: 16 });
    const { listener, channels } = partsOf(engine);
    const changes: RunChange[] = [];
    const off = listener.on(channels.run, (payload) => changes.push(...runChanges(payload)));
    try {
      // One run alone ends in a statement of its own; sixteen at once end in the journal's batches.
      const alone = await stepper.trigger({ i: 0 });
      await serviceOf(engine).pollRun(alone.id, 10_000);
      const together = await Promise.all(Array.from({ length: 16 }, (_, i) => stepper.trigger({ i })));
      await Promise.all(together.map((h) => serviceOf(engine).pollRun(h.id, 10_000)));
      for (const { id } of [alone, ...together]) {
        const [{ revision }] = await sql<{ revision: number }>(`SELECT revision::int FROM "${engine.options.schema}".runs WHERE id = $1`, [id]);
        const mine = await until(async () => {
          const seen = changes.filter((c) => c.runId === id);
          return seen.some((c) => c.revision === revision) ? seen : undefined;
        }, 5_000);
        expect(mine.filter((c) => c.finished).map((c) => c.revision)).toEqual([revision]);
      }
    } finally {
      off();
    }
  });

  it("runs.poll returns when the run ends, succeeded or canceled, without waiting for the sweep", async () => {
    const stepper = task({
      id: "many-steps",
      run: async (_: unknown, { io }) => {
        for (let i = 0; i < 10; i++) await io.runTask(`step-${i}`, async () => i);
        return "done";
      },
    });
    const sleeper = task({ id: "long-sleeper", run: async () => wait.for({ seconds: 3_600 }) });
    const engine = await startTestEngine("waiters_poll", { tasks: [stepper, sleeper] });
    const { id } = await stepper.trigger({});
    let t0 = performance.now();
    await expect(serviceOf(engine).pollRun(id, 10_000)).resolves.toMatchObject({ status: "SUCCESS", output: "done" });
    expect(performance.now() - t0).toBeLessThan(BEFORE_FALLBACK_MS);

    const asleep = await sleeper.trigger({});
    await until(async () => ((await serviceOf(engine).retrieveRun(asleep.id)).status === "WAITING" ? true : undefined), 10_000);
    const polled = serviceOf(engine).pollRun(asleep.id, 10_000);
    // The poll reads the run once and then waits for its end.
    await new Promise((resolve) => setTimeout(resolve, 200));
    t0 = performance.now();
    await serviceOf(engine).cancelRun(asleep.id);
    await expect(polled).resolves.toMatchObject({ status: "CANCELED" });
    expect(performance.now() - t0).toBeLessThan(BEFORE_FALLBACK_MS);
  });

  it("routes each run's changes to that run's handlers only, until they unsubscribe", async () => {
    const engine = await startTestEngine("waiters_route", { worker: false });
    const { listener, channels } = partsOf(engine);
    const seen: Record<string, RunChange[]> = { a: [], b: [], gone: [] };
    const offA = listener.onRun(channels.run, "run_a", (c) => seen.a!.push(c));
    const offB = listener.onRun(channels.run, "run_b", (c) => seen.b!.push(c));
    listener.onRun(channels.run, "run_b", (c) => seen.gone!.push(c))();
    try {
      await sql("SELECT pg_notify($1, $2)", [channels.run, "run_a:3,run_c:1,run_b:7:end"]);
      await until(async () => (seen.a!.length && seen.b!.length ? true : undefined), 5_000);
      expect(seen).toEqual({
        a: [{ runId: "run_a", revision: 3, finished: false }],
        b: [{ runId: "run_b", revision: 7, finished: true }],
        gone: [],
      });
    } finally {
      offA();
      offB();
    }
  });

  it("wakes a waiter whose run's end was never heard, from one look-up of every run waited for", async () => {
    const engine = await startTestEngine("waiters_sweep", { worker: false });
    const { listener, channels } = partsOf(engine);
    const lookUps: string[][] = [];
    const finished = async (ids: string[]) => {
      lookUps.push([...ids].sort());
      return ids.filter((id) => id === "run_done");
    };
    const waiters = new RunWaiters(listener, channels.run, finished, 50);
    const done = waiters.wait("run_done");
    const other = waiters.wait("run_other");
    try {
      await done.woken;
      expect(lookUps[0]).toEqual(["run_done", "run_other"]);
    } finally {
      done.stop();
      other.stop();
    }
  });

  it("runs.poll in the process that runs it reads nothing: the worker holds the run, and its end hands over the finished run", async () => {
    const stepper = task({
      id: "read-twice",
      run: async (_: unknown, { io }) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (let i = 0; i < 10; i++) await io.runTask(`step-${i}`, async () => i);
        return "done";
      },
    });
    const engine = await startTestEngine("waiters_reads", { tasks: [stepper] });
    const { db, sql } = partsOf(engine);
    const { id } = await stepper.trigger({});
    const query = vi.spyOn(db, "query");
    try {
      await expect(serviceOf(engine).pollRun(id, 10_000)).resolves.toMatchObject({ status: "SUCCESS" });
      const reads = query.mock.calls.filter(([text, values]) =>
        (text === sql.runs.getMany && (values?.[0] as string[]).includes(id)) || ((text === sql.runs.get || text === sql.runs.state) && values?.[0] === id));
      expect(reads).toHaveLength(0);
    } finally {
      query.mockRestore();
    }
  });

  it("runs.poll calls made together read their runs in one statement, not one each", async () => {
    const quick = task({ id: "read-together", run: async () => "done" });
    const engine = await startTestEngine("waiters_together", { tasks: [quick] });
    const { db, sql: statements } = partsOf(engine);
    const ids = (await Promise.all(Array.from({ length: 20 }, () => quick.trigger({})))).map((handle) => handle.id);
    await until(async () => {
      const [{ done }] = await sql<{ done: number }>(`SELECT count(*)::int AS done FROM "${engine.options.schema}".runs WHERE status = 'SUCCESS'`);
      return done === ids.length ? true : undefined;
    }, 20_000);
    const query = vi.spyOn(db, "query");
    try {
      const runs = await Promise.all(ids.map((id) => serviceOf(engine).pollRun(id, 10_000)));
      expect(runs.map((run) => run.id)).toEqual(ids);
      const reads = query.mock.calls.filter(([text]) => text === statements.runs.get || text === statements.runs.getMany);
      // The first two go at once (two statements may be in flight), the other eighteen together.
      expect(reads.length).toBeLessThanOrEqual(3);
    } finally {
      query.mockRestore();
    }
  });

  it("runs.poll in the process that ends the run returns as the end commits, without its notification", async () => {
    const stepper = task({
      id: "ended-here",
      run: async (_: unknown, { io }) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await io.runTask("one", async () => 1);
        return "done";
      },
    });
    // A child's end commits in a transaction of its own (it wakes its parent), not in the journal's batches.
    const parent = task({ id: "ended-here-parent", run: async () => stepper.triggerAndWait({}) });
    const engine = await startTestEngine("waiters_ended_here", { tasks: [stepper, parent] });
    const { listener } = partsOf(engine);
    // No run's notification reaches a waiter: only the same-process hand-off (or the 5 s sweep) can wake it.
    const onRun = vi.spyOn(listener, "onRun").mockImplementation(() => () => undefined);
    try {
      const { id } = await stepper.trigger({});
      let t0 = performance.now();
      await expect(serviceOf(engine).pollRun(id, 10_000)).resolves.toMatchObject({ status: "SUCCESS", output: "done" });
      expect(performance.now() - t0).toBeLessThan(BEFORE_FALLBACK_MS);

      const started = await parent.trigger({});
      const child = await until(async () => {
        const rows = await sql<{ id: string }>(`SELECT id FROM "${engine.options.schema}".runs WHERE parent_run_id = $1`, [started.id]);
        return rows[0]?.id;
      }, 10_000);
      t0 = performance.now();
      await expect(serviceOf(engine).pollRun(child, 10_000)).resolves.toMatchObject({ status: "SUCCESS", output: "done" });
      expect(performance.now() - t0).toBeLessThan(BEFORE_FALLBACK_MS);
    } finally {
      onRun.mockRestore();
    }
  });

  it("the finished run an end hands over is the run a read returns, whether it ended alone, in a batch or in a transaction", async () => {
    const stepper = task({
      id: "handed-over",
      run: async (p: { i: number }, { io }) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await io.runTask("one", async () => p.i);
        return { i: p.i, at: new Date(0) };
      },
    });
    const parent = task({ id: "handed-over-parent", run: async () => stepper.triggerAndWait({ i: -1 }) });
    const engine = await startTestEngine("waiters_handed_over", { tasks: [stepper, parent], concurrency: 16 });
    const { db, sql: statements } = partsOf(engine);
    const service = serviceOf(engine);
    const readsOf = (query: { mock: { calls: unknown[][] } }, ids: string[]) => query.mock.calls.filter(([text, values]) =>
      (text === statements.runs.getMany && (values as string[][])[0]!.some((id) => ids.includes(id))) || (text === statements.runs.get && ids.includes((values as string[])[0]!)));

    const alone = await stepper.trigger({ i: 0 }, { tags: ["alone"], metadata: { k: 1 } });
    const together = await Promise.all(Array.from({ length: 16 }, (_, i) => stepper.trigger({ i: i + 1 })));
    const started = await parent.trigger({});
    const child = await until(async () => (await sql<{ id: string }>(`SELECT id FROM "${engine.options.schema}".runs WHERE parent_run_id = $1`, [started.id]))[0]?.id, 10_000);
    const ids = [alone.id, ...together.map((h) => h.id), child];
    const query = vi.spyOn(db, "query");
    let polled;
    try {
      polled = await Promise.all(ids.map((id) => service.pollRun(id, 10_000)));
      // A run still queued when its poll began was read then, one the worker here held was not; none after it finished.
      expect(polled.every((run) => run.status === "SUCCESS")).toBe(true);
      for (const id of ids) expect(readsOf(query, [id]).length).toBeLessThanOrEqual(1);
    } finally {
      query.mockRestore();
    }
    expect(polled).toEqual(await Promise.all(ids.map((id) => service.retrieveRun(id))));
  });

  it("runs.poll of a run the worker here lets go of without ending it (a wait) reads it then, not before", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const waiter = task({
      id: "let-go",
      run: async () => {
        await gate;
        await wait.for({ seconds: 3_600 });
      },
    });
    const engine = await startTestEngine("waiters_let_go", { tasks: [waiter] });
    const service = serviceOf(engine);
    const { id } = await waiter.trigger({});
    const read: string[] = [];
    const retrieve = service.retrieveRun.bind(service);
    const spy = vi.spyOn(service, "retrieveRun").mockImplementation(async (runId) => {
      const run = await retrieve(runId);
      if (runId === id) read.push(run.status);
      return run;
    });
    try {
      const polled = service.pollRun(id, 20_000);
      open();
      // Nothing else wakes a waiter when its run starts waiting: only the worker letting go of it.
      await until(async () => (read.includes("WAITING") ? true : undefined), BEFORE_FALLBACK_MS);
      expect(read).toEqual(["WAITING"]);
      await service.cancelRun(id);
      await expect(polled).resolves.toMatchObject({ status: "CANCELED" });
    } finally {
      spy.mockRestore();
    }
  });
});
