import { afterEach, describe, expect, it } from "vitest";
import { setFaultHandler } from "../engine/debug/fault-points.ts";
import { runs, task, wait } from "durably";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { Dispatcher } from "../engine/worker/dispatcher.ts";
import type { Scheduler } from "../engine/jobs/pg-boss.ts";
import type { ReadyRuns } from "../engine/worker/ready-runs.ts";
import type { ExecuteDeps } from "../engine/worker/execute-run.ts";
import type { Logger } from "../engine/logger.ts";

describe("dispatcher", () => {
  it("keeps every slot busy from a backlog without waiting for the fallback poll", async () => {
    const quick = task({ id: "quick", run: async (p: { i: number }, { io }) => io.runTask("one", async () => p.i) });
    await startTestEngine("dispatch", { tasks: [quick], concurrency: 2, pollIntervalMs: 60_000 });
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => quick.trigger({ i }).then((h) => h.id)));
    const finished = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 15_000 })));
    expect(finished.map((r) => r.output)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("with ready runs waiting, claims the next run in the statement that ends the last one", async () => {
    const instant = task({ id: "instant", run: async (p: { i: number }) => p.i });
    const engine = await startTestEngine("dispatch_refill", { tasks: [instant], concurrency: 1, pollIntervalMs: 60_000 });
    const { schema } = engine.options;
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => instant.trigger({ i }).then((h) => h.id)));
    await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 15_000 })));
    // A statement's now() is its transaction's start: a run that started at the very instant the
    // one before it finished was claimed by the statement that ended that one.
    const rows = await sql<{ started: string; previous_finished: string | null }>(
      `SELECT started_at::text AS started, lag(finished_at::text) OVER (ORDER BY started_at) AS previous_finished FROM "${schema}".runs`,
    );
    // Only while jobs had a look in the last 100 ms (JOBS_FIRST_AFTER_MS): a busy machine may
    // hand on only the runs that end within that window after each fetch of jobs.
    const handedOn = rows.filter((r) => r.started === r.previous_finished).length;
    expect(rows).toHaveLength(8);
    expect(handedOn).toBeGreaterThanOrEqual(1);
  });

  it("drains a backlog of wake-ups larger than its slots without waiting for the fallback poll", async () => {
    const sleeper = task({ id: "sleeper", run: async (p: { i: number }) => (await wait.for({ seconds: 0.3 }), p.i) });
    await startTestEngine("dispatch_wakes", { tasks: [sleeper], concurrency: 2, pollIntervalMs: 60_000 });
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => sleeper.trigger({ i }).then((h) => h.id)));
    const finished = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 10_000 })));
    expect(finished.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => "SUCCESS"));
  });

  it("frees a slot when a run's code is done, without waiting for its end to commit", async () => {
    let secondStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (secondStarted = resolve));
    const one = task({ id: "slot", run: async (p: { i: number }, { io }) => io.runTask("step", async () => (p.i === 2 ? secondStarted() : null, p.i)) });
    // The first run's end may commit only once the second run is executing: with one slot, that
    // needs the slot back as soon as the first run's code returned.
    const releases: string[] = [];
    setFaultHandler(async (point) => {
      if (point !== "before-commit:release") return;
      const gaveUp = new Promise<string>((resolve) => setTimeout(() => resolve("gave up waiting"), 5_000));
      releases.push(await Promise.race([started.then(() => "second run executing"), gaveUp]));
    });
    await startTestEngine("dispatch_slot", { tasks: [one], concurrency: 1 });
    const first = await one.trigger({ i: 1 });
    await until(async () => ((await runs.retrieve(first.id)).status === "EXECUTING" ? true : undefined), 10_000);
    const second = await one.trigger({ i: 2 });
    const [a, b] = await Promise.all([runs.poll(first.id, { timeoutMs: 15_000 }), runs.poll(second.id, { timeoutMs: 15_000 })]);
    expect([a.status, b.status]).toEqual(["SUCCESS", "SUCCESS"]);
    expect(releases).toEqual(["second run executing", "second run executing"]);
  });

  it("fetches only jobs when a kick says jobs are due, even just after a fetch of jobs", async () => {
    const looks: string[] = [];
    const scheduler = { fetch: async () => (looks.push("jobs"), []), touch: async () => undefined } as unknown as Scheduler;
    const ready = { heartbeat: async () => undefined, recoverLapsed: async () => 0 } as unknown as ReadyRuns;
    const deps = { writes: { claimReady: async () => (looks.push("ready"), []) }, running: new Map() } as unknown as ExecuteDeps;
    const logger = { warn: () => undefined, error: () => undefined } as unknown as Logger;
    const dispatcher = new Dispatcher(scheduler, ready, deps, {
      concurrency: 1, pollIntervalMs: 60_000, heartbeatSeconds: 60, recoverySeconds: 60, shutdownTimeoutMs: 1_000,
    }, logger);
    const looked = (n: number) => until(async () => (looks.length >= n ? looks.splice(0) : undefined), 5_000, 5);
    dispatcher.start();
    try {
      expect(await looked(2)).toEqual(["jobs", "ready"]);
      // Jobs were just fetched: without the hint, ready runs would come first.
      dispatcher.kick(true);
      expect(await looked(1)).toEqual(["jobs"]);
    } finally {
      await dispatcher.stop();
    }
    // The loop has ended: the fetch after that kick looked for nothing else.
    expect(looks).toEqual([]);
  });
});

afterEach(() => setFaultHandler(undefined));
