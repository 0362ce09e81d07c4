import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { partsOf, serviceOf } from "../engine/internal.ts";
import { BatchedWrites } from "../engine/journal/batched-writes.ts";
import { claimRun } from "../engine/worker/claim-run.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

/** Postgres's clock and this process's are one machine's, read at slightly different moments. */
const CLOCK_SLACK_MS = 50;

const echo = task({ id: "debounced-echo", run: async (payload: { n: number }) => payload.n });

describe("debounce", () => {
  it("leading: triggers with one key return one run, started a delay after the last, with the first payload", async () => {
    await startTestEngine("debounce_leading", { tasks: [echo] });
    const first = await echo.trigger({ n: 1 }, { debounce: { key: "user-1", delay: "2s" } });
    const second = await echo.trigger({ n: 2 }, { debounce: { key: "user-1", delay: "2s" } });
    const beforeLast = Date.now();
    const third = await echo.trigger({ n: 3 }, { debounce: { key: "user-1", delay: "2s" } });
    expect([second.id, third.id]).toEqual([first.id, first.id]);
    const run = await runs.poll(first.id, { timeoutMs: 10_000 });
    expect(run.output).toBe(1);
    expect(run.startedAt!.getTime()).toBeGreaterThanOrEqual(beforeLast + 2_000 - CLOCK_SLACK_MS);
    // Once the run started, the key starts a new one.
    const next = await echo.trigger({ n: 4 }, { debounce: { key: "user-1", delay: 0.2 } });
    expect(next.id).not.toBe(first.id);
    expect((await runs.poll(next.id, { timeoutMs: 10_000 })).output).toBe(4);
  });

  it("trailing: the run takes the last trigger's payload; other keys and other tasks get runs of their own", async () => {
    const other = task({ id: "debounced-other", run: async (payload: { n: number }) => payload.n });
    await startTestEngine("debounce_trailing", { tasks: [echo, other] });
    const debounce = { key: "doc-9", delay: "2s", mode: "trailing" } as const;
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await echo.trigger({ n }, { debounce })).id);
    const otherKey = await echo.trigger({ n: 10 }, { debounce: { ...debounce, key: "doc-10" } });
    const otherTask = await other.trigger({ n: 20 }, { debounce });
    expect(new Set(ids).size).toBe(1);
    expect(new Set([ids[0], otherKey.id, otherTask.id]).size).toBe(3);
    const outputs = await Promise.all([ids[0]!, otherKey.id, otherTask.id].map((id) => runs.poll(id, { timeoutMs: 10_000 })));
    expect(outputs.map((r) => r.output)).toEqual([3, 10, 20]);
  });

  it("is claimed by its job when its start comes between the claim that found it early and the look at why", async () => {
    // Under load the two statements of a claim can be further apart than the moments left to a
    // pushed-back start: the job took the run for one with nothing to do, the only job it had.
    const engine = await startTestEngine("debounce_lapse", { tasks: [echo], worker: false });
    const { id } = await echo.trigger({ n: 1 }, { debounce: { key: "k", delay: 0.5 } });
    const { db, sql, channels } = partsOf(engine);
    const batched = new BatchedWrites(db, sql, channels.run);
    const due = async () => (await db.query<{ due: boolean }>(`SELECT start_after <= now() AS due FROM "${engine.options.schema}".runs WHERE id = $1`, [id])).rows[0]!.due || undefined;
    const writes = {
      claim: async (item: Parameters<BatchedWrites["claim"]>[0]) => {
        const claimed = await batched.claim(item);
        await until(due, 5_000, 20);
        return claimed;
      },
    } as unknown as BatchedWrites;
    const claim = await claimRun(db, sql, writes, engine.options.schema, {
      runId: id, lease: randomUUID(), countsAsAttempt: 1, takeover: false, notifyChannel: channels.run,
    });
    expect(claim).toMatchObject({ type: "claimed", row: { id, status: "EXECUTING" } });
  });

  it("holds across two engine processes triggering one key at once: one run", async () => {
    const a = await startTestEngine("debounce_two", { tasks: [echo] });
    const b = await startTestEngine("debounce_two_b", { schema: a.options.schema, tasks: [echo] });
    const triggerOn = (engine: typeof a, n: number) =>
      serviceOf(engine).trigger({ taskId: echo.id, payload: { n }, options: { debounce: { key: "shared", delay: "2s", mode: "trailing" } } });
    const before = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => triggerOn(n % 2 === 0 ? a : b, n)));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => !r.isCached)).toHaveLength(1);
    const run = await runs.poll(results[0]!.id, { timeoutMs: 10_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.startedAt!.getTime()).toBeGreaterThanOrEqual(before + 2_000 - CLOCK_SLACK_MS);
    expect((await runs.list({ taskIdentifier: echo.id })).data).toHaveLength(1);
  });

  it("refuses a debounce without a key or a positive delay, or beside a delay, from the SDK and over HTTP", async () => {
    const secretKey = "test-secret-key-0123456789";
    const engine = await startTestEngine("debounce_bad", { tasks: [echo], worker: false, http: { port: 0 }, secretKey });
    const bad = [
      { key: "", delay: "1s" },
      { key: "k", delay: 0 },
      { key: "k", delay: "soon" },
      { key: "k", delay: "1s", mode: "middle" },
    ];
    for (const debounce of bad) {
      await expect(echo.trigger({ n: 1 }, { debounce: debounce as never })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
      const response = await fetch(`${engine.url}/api/tasks/${echo.id}/trigger`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secretKey}` },
        body: JSON.stringify({ payload: { n: 1 }, options: { debounce } }),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/debounce/);
    }
    await expect(echo.trigger({ n: 1 }, { debounce: { key: "k", delay: "1s" }, delay: "1s" })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
  });
});
