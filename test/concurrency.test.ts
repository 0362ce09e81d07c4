import { describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";

describe("queues and concurrency limits", () => {
  it("a limit of 2 keeps at most 2 of 10 runs EXECUTING across two workers, and every run finishes", async () => {
    const limited = task({
      id: "limited",
      queue: { concurrencyLimit: 2 },
      run: async (n: number, { io }) => io.runTask("work", async () => {
        await new Promise((r) => setTimeout(r, 300));
        return n;
      }),
    });
    const a = await startTestEngine("concurrency", { tasks: [limited], concurrency: 5 });
    await startTestEngine("concurrency_b", { schema: a.options.schema, tasks: [limited], concurrency: 5 });
    const { runs: handles } = await limited.batchTrigger(Array.from({ length: 10 }, (_, i) => ({ payload: i })));
    let maxExecuting = 0;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        const [row] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${a.options.schema}".runs WHERE status = 'EXECUTING'`);
        maxExecuting = Math.max(maxExecuting, row!.n);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const finished = await Promise.all(handles.map((h) => runs.poll(h.id, { timeoutMs: 40_000 })));
    done = true;
    await sampler;
    expect(finished.map((r) => r.output)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(maxExecuting).toBe(2);
  });

  it("a concurrency key gives each key its own limit", async () => {
    const perUser = task({
      id: "per-user",
      queue: { name: "per-user", concurrencyLimit: 1 },
      run: async (user: string, { io }) => io.runTask("work", async () => {
        await new Promise((r) => setTimeout(r, 300));
        return user;
      }),
    });
    const engine = await startTestEngine("concurrency_key", { tasks: [perUser], concurrency: 10 });
    const ids = await Promise.all(["a", "a", "b", "b"].map((u) => perUser.trigger(u, { concurrencyKey: u }).then((h) => h.id)));
    let maxPerKey = 0;
    let maxTotal = 0;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        const rows = await sql<{ k: string; n: number }>(`SELECT concurrency_key AS k, count(*)::int AS n FROM "${engine.options.schema}".runs WHERE status = 'EXECUTING' GROUP BY 1`);
        maxPerKey = Math.max(maxPerKey, ...rows.map((r) => r.n), 0);
        maxTotal = Math.max(maxTotal, rows.reduce((sum, r) => sum + r.n, 0));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 20_000 })));
    done = true;
    await sampler;
    expect(maxPerKey).toBe(1);
    expect(maxTotal).toBe(2);
  });
});
