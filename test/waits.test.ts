import { describe, expect, it } from "vitest";
import { runs, task, wait } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { sql } from "./helpers/db.ts";
import { serviceOf } from "../engine/internal.ts";

describe("durable waits", () => {
  it("a waiting run holds no worker slot: more runs than the concurrency wait at once and all finish", async () => {
    let before = 0;
    let after = 0;
    const sleeper = task({
      id: "sleeper",
      run: async (p: { i: number }, { io }) => {
        await io.runTask("before", async () => ++before);
        await wait.for({ seconds: 4 });
        await io.runTask("after", async () => ++after);
        return p.i;
      },
    });
    const engine = await startTestEngine("waits", { tasks: [sleeper], concurrency: 2 });
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => sleeper.trigger({ i }).then((h) => h.id)));

    // All 8 waiting at once with 2 slots: only within the first wait, so a miss times out here.
    await until(async () => {
      const [row] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${engine.options.schema}".runs WHERE status = 'WAITING'`);
      return row!.n === 8 ? true : undefined;
    }, 20_000, 20);

    const finished = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 20_000 })));
    expect(finished.map((r) => r.status)).toEqual(Array(8).fill("SUCCESS"));
    expect(finished.map((r) => r.output)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect({ before, after }).toEqual({ before: 8, after: 8 });
    for (const run of finished) expect(run.finishedAt!.getTime() - run.createdAt.getTime()).toBeGreaterThanOrEqual(2_000);
  });

  it("io.wait and wait.until journal the wake-up time", async () => {
    const waiter = task({
      id: "waiter",
      run: async (_: unknown, { io }) => {
        await io.wait("short", 0.3);
        await wait.until({ date: new Date(Date.now() + 300) });
        return "woke";
      },
    });
    const engine = await startTestEngine("waits_io", { tasks: [waiter] });
    const { id } = await waiter.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.output).toBe("woke");
    const journal = await serviceOf(engine).getJournal(id);
    expect(journal.map((e) => [e.kind, e.key])).toEqual([["wait", "short"], ["wait", "wait.until"]]);
    expect(journal[0]!.output).toBeInstanceOf(Date);
  });
});
