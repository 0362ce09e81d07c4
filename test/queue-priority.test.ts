import { afterEach, describe, expect, it } from "vitest";
import { runs, task, type TriggerOptions } from "durably";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

/** Held shut until a test opens it: the run named "blocker" keeps its queue's slot until then. */
let open: () => void = () => undefined;
let gate = Promise.resolve();
function shut(): void {
  gate = new Promise<void>((resolve) => (open = resolve));
}
afterEach(() => open());

/** A task of `queue` whose runs return their name; "blocker" holds its slot until the gate opens. */
const limited = (id: string, queue: Parameters<typeof task>[0]["queue"]) => task({
  id,
  queue,
  run: async (name: string, { io }) => {
    await io.runTask("start", async () => (name === "blocker" ? gate : undefined));
    return name;
  },
});
const oneAtATime = limited("one-at-a-time", { concurrencyLimit: 1 });
const perUser = limited("one-per-user", { name: "one-per-user", concurrencyLimit: 1 });
const oneAPeriod = limited("one-a-period", { rateLimit: { limit: 1, period: "1500ms" } });
// Two versions of a queue's limit, as while a deploy rolls out: each run keeps the one it was triggered under.
const sharedOne = limited("shared-one", { name: "shared", concurrencyLimit: 1 });
const sharedTwo = limited("shared-two", { name: "shared", concurrencyLimit: 2 });
const tasks = [oneAtATime, perUser, oneAPeriod, sharedOne, sharedTwo];

/** Two engine processes on one schema, each with room for more than the queue allows. */
async function twoEngines(name: string): Promise<string> {
  const a = await startTestEngine(`${name}_a`, { tasks, concurrency: 5 });
  await startTestEngine(`${name}_b`, { schema: a.options.schema, tasks, concurrency: 5 });
  return a.options.schema;
}

/** The runs' names in the order they started. */
async function startOrder(schema: string, ids: string[]): Promise<string[]> {
  await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 60_000 })));
  const rows = await sql<{ payload: { json: string } }>(`SELECT payload FROM "${schema}".runs WHERE id = ANY($1) ORDER BY started_at, id`, [ids]);
  return rows.map((r) => r.payload.json);
}

/** Resolves once every run's job has found its queue full at least once: each is competing for the next start. */
async function allHeldBack(schema: string, ids: string[]): Promise<void> {
  await until(async () => {
    const [row] = await sql<{ n: number }>(
      `SELECT count(DISTINCT data->>'runId')::int AS n FROM "${schema}_boss".job WHERE data->>'runId' = ANY($1) AND state = 'completed'`, [ids],
    );
    return row!.n === ids.length ? true : undefined;
  }, 30_000);
}

async function started(id: string): Promise<void> {
  await until(async () => ((await runs.retrieve(id)).status === "EXECUTING" ? true : undefined), 30_000);
}

type Trigger = (name: string, options?: TriggerOptions) => Promise<{ id: string }>;

/** Triggers each of `names` in turn, "high…" ones with priority 30. */
async function triggerAll(trigger: Trigger, names: string[], options: TriggerOptions = {}): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) ids.push((await trigger(name, { ...options, ...(name.startsWith("high") ? { priority: 30 } : {}) })).id);
  return ids;
}

describe("priority in a queue with a concurrency limit", () => {
  it("starts the highest priority next when the slot frees, equal priorities in trigger order, across two engine processes", async () => {
    const schema = await twoEngines("turn_limit");
    shut();
    const blocker = await oneAtATime.trigger("blocker");
    await started(blocker.id);
    const ids = await triggerAll((n, o) => oneAtATime.trigger(n, o), ["low1", "low2", "low3", "high", "low4"]);
    await allHeldBack(schema, ids);
    open();
    expect(await startOrder(schema, [blocker.id, ...ids])).toEqual(["blocker", "high", "low1", "low2", "low3", "low4"]);
  });

  it("orders each concurrency key's runs on their own: another key's priority neither holds them back nor goes first", async () => {
    const schema = await twoEngines("turn_keys");
    shut();
    const blocker = await perUser.trigger("blocker", { concurrencyKey: "ann" });
    await started(blocker.id);
    const ann = await triggerAll((n, o) => perUser.trigger(n, o), ["low1", "low2", "high"], { concurrencyKey: "ann" });
    const bob = await perUser.trigger("bob", { concurrencyKey: "bob" });
    // Bob's run starts while Ann's slot is taken and her high-priority run waits.
    expect((await runs.poll(bob.id, { timeoutMs: 30_000 })).status).toBe("SUCCESS");
    await allHeldBack(schema, ann);
    open();
    expect(await startOrder(schema, [blocker.id, ...ann])).toEqual(["blocker", "high", "low1", "low2"]);
  });

  it("ranks a delayed run from when its delay ends, and a run still delayed or debounced holds nothing back", async () => {
    const schema = await twoEngines("turn_delayed");
    shut();
    const blocker = await oneAtATime.trigger("blocker");
    await started(blocker.id);
    const delayed = await oneAtATime.trigger("delayed", { delay: "1s" });
    const ids = await triggerAll((n, o) => oneAtATime.trigger(n, o), ["low1", "low2"]);
    const later = await oneAtATime.trigger("later", { delay: "10m", priority: 1_000 });
    const debounced = await oneAtATime.trigger("debounced", { debounce: { key: "k", delay: "10m" }, priority: 1_000 });
    await allHeldBack(schema, [delayed.id, ...ids]);
    open();
    // Triggered first, but ready only after its delay, once the others were waiting.
    expect(await startOrder(schema, [blocker.id, ...ids, delayed.id])).toEqual(["blocker", "low1", "low2", "delayed"]);
    expect((await runs.retrieve(later.id)).status).toBe("QUEUED");
    expect((await runs.retrieve(debounced.id)).status).toBe("QUEUED");
  });

  it("never starves a run: one that has waited longer than another's priority goes first", async () => {
    const schema = await twoEngines("turn_aging");
    shut();
    const blocker = await oneAtATime.trigger("blocker");
    await started(blocker.id);
    const old = await oneAtATime.trigger("waited 60 s");
    // As if it had been waiting for the slot for a minute, behind a stream of runs of higher priority.
    await sql(`UPDATE "${schema}".runs SET queue_ready_at = queue_ready_at - interval '60 seconds' WHERE id = $1`, [old.id]);
    const ahead = await oneAtATime.trigger("priority 90", { priority: 90 });
    const behind = await oneAtATime.trigger("priority 45", { priority: 45 });
    await allHeldBack(schema, [old.id, ahead.id, behind.id]);
    open();
    expect(await startOrder(schema, [old.id, ahead.id, behind.id])).toEqual(["priority 90", "waited 60 s", "priority 45"]);
  });
});

describe("priority in a queue whose runs carry different limits", () => {
  it("a run first in line that its own limit keeps from starting does not hold back one that may start", async () => {
    const schema = await twoEngines("turn_mixed");
    shut();
    const blocker = await sharedTwo.trigger("blocker");
    await started(blocker.id);
    // One run executes: a limit of 1 is full, a limit of 2 has room.
    const high = await sharedOne.trigger("high", { priority: 30 });
    const low = await sharedTwo.trigger("low");
    expect((await runs.poll(low.id, { timeoutMs: 30_000 })).status).toBe("SUCCESS");
    expect((await runs.retrieve(high.id)).status).toBe("QUEUED");
    open();
    expect(await startOrder(schema, [blocker.id, low.id, high.id])).toEqual(["blocker", "low", "high"]);
  });
});

describe("priority in a queue with a rate limit", () => {
  it("starts the highest priority when the period opens, equal priorities in batch order, across two engine processes", async () => {
    const schema = await twoEngines("turn_rate");
    const first = await oneAPeriod.trigger("first");
    // Its start fills the period; the runs triggered now wait for the next.
    await runs.poll(first.id, { timeoutMs: 30_000 });
    // One statement, so that all three are waiting before the period opens, however slow the machine.
    const batch = await oneAPeriod.batchTrigger(["low1", "low2", "high"].map((payload) => ({
      payload, options: payload === "high" ? { priority: 30 } : {},
    })));
    const ids = batch.runs.map((r) => r.id);
    expect(await startOrder(schema, [first.id, ...ids])).toEqual(["first", "high", "low1", "low2"]);
  });
});
