import { describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";

const started: string[] = [];
const recorded = task({
  id: "recorded",
  run: async (name: string, { io }) => {
    await io.runTask("start", async () => started.push(name));
    return name;
  },
});

/** The runs' names in the order their executions began. */
async function startOrder(schema: string, ids: string[]): Promise<string[]> {
  await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 30_000 })));
  const rows = await sql<{ payload: { json: string } }>(
    `SELECT payload FROM "${schema}".runs WHERE id = ANY($1) ORDER BY started_at, id`, [ids],
  );
  return rows.map((r) => r.payload.json);
}

describe("priority", () => {
  it("starts higher priorities first, equal priorities in trigger order, one worker", async () => {
    const client = await startTestEngine("priority_one", { tasks: [recorded], worker: false });
    const ids: string[] = [];
    for (const [name, priority] of [["a", 0], ["b", 0], ["c", 30], ["d", 30], ["e", 10]] as const) {
      ids.push((await recorded.trigger(name, { priority })).id);
    }
    // A batch is one statement (one ready time): its runs keep their order among themselves.
    const batch = await recorded.batchTrigger(["f", "g", "h"].map((payload) => ({ payload, options: { priority: 5 } })));
    ids.push(...batch.runs.map((r) => r.id));
    started.length = 0;
    await startTestEngine("priority_one_worker", { schema: client.options.schema, tasks: [recorded], concurrency: 1 });
    expect(await startOrder(client.options.schema, ids)).toEqual(["c", "d", "e", "f", "g", "h", "a", "b"]);
    expect(started).toEqual(["c", "d", "e", "f", "g", "h", "a", "b"]);
    expect((await runs.retrieve(ids[2]!)).priority).toBe(30);
  });

  it("is kept across two engine processes claiming from one queue", async () => {
    const client = await startTestEngine("priority_two", { tasks: [recorded], worker: false });
    const names = ["low1", "low2", "low3", "mid1", "mid2", "high1", "high2", "low4"];
    const priorities: Record<string, number> = { low: 0, mid: 20, high: 40 };
    const ids: string[] = [];
    for (const name of names) ids.push((await recorded.trigger(name, { priority: priorities[name.slice(0, -1)] })).id);
    const expected = ["high1", "high2", "mid1", "mid2", "low1", "low2", "low3", "low4"];
    const { schema } = client.options;
    started.length = 0;
    await Promise.all([
      startTestEngine("priority_two_a", { schema, tasks: [recorded], concurrency: 1 }),
      startTestEngine("priority_two_b", { schema, tasks: [recorded], concurrency: 1 }),
    ]);
    await startOrder(schema, ids);
    // Each claim takes the best run left; two claims at the same moment may begin in either order.
    // The order the runs' code began in, not their started_at: a claim riding a statement that
    // waited (on the notify lock, on a busy machine) is stamped when that statement began, before
    // claims the other engine committed meanwhile.
    expect([...started].sort()).toEqual([...expected].sort());
    for (const [position, name] of started.entries()) expect(Math.abs(expected.indexOf(name) - position)).toBeLessThanOrEqual(1);
  });

  it("never starves a run: one that has waited longer than another's priority goes first", async () => {
    const client = await startTestEngine("priority_aging", { tasks: [recorded], worker: false });
    const { schema } = client.options;
    const old = await recorded.trigger("waited 60 s", {});
    // As if it had been QUEUED for a minute, behind a stream of runs of higher priority.
    await sql(`UPDATE "${schema}".runs SET ready_at = ready_at - interval '60 seconds' WHERE id = $1`, [old.id]);
    const ahead = await recorded.trigger("priority 90", { priority: 90 });
    const behind = await recorded.trigger("priority 45", { priority: 45 });
    await startTestEngine("priority_aging_worker", { schema, tasks: [recorded], concurrency: 1 });
    expect(await startOrder(schema, [old.id, ahead.id, behind.id])).toEqual(["priority 90", "waited 60 s", "priority 45"]);
  });

  it("refuses a priority that is not whole seconds from 0, from the SDK and over HTTP", async () => {
    const secretKey = "test-secret-key-0123456789";
    const engine = await startTestEngine("priority_bad", { tasks: [recorded], worker: false, http: { port: 0 }, secretKey });
    for (const priority of [-1, 1.5, Number.NaN]) {
      await expect(recorded.trigger("x", { priority })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    }
    for (const priority of [-1, 1.5, "10"]) {
      const response = await fetch(`${engine.url}/api/tasks/recorded/trigger`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secretKey}` },
        body: JSON.stringify({ payload: "x", options: { priority } }),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/priority/);
    }
    const response = await fetch(`${engine.url}/api/tasks/recorded/trigger`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secretKey}` },
      body: JSON.stringify({ payload: "x", options: { priority: 7 } }),
    });
    const { id } = (await response.json()) as { id: string };
    expect((await runs.retrieve(id)).priority).toBe(7);
  });
});
