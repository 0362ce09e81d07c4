import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { channelsOf, runChanges } from "../engine/notify/listener.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { TEST_DATABASE_URL, sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";
import { serviceOf } from "../engine/internal.ts";

const clients: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end()));
});

/** Everything heard on the schema's run and wake channels, in order. */
async function listenTo(schema: string): Promise<{ channel: string; payload: string }[]> {
  const listener = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await listener.connect();
  clients.push(listener);
  const heard: { channel: string; payload: string }[] = [];
  listener.on("notification", (n) => heard.push({ channel: n.channel, payload: n.payload ?? "" }));
  const channels = channelsOf(schema);
  await listener.query(`LISTEN "${channels.run}"; LISTEN "${channels.wake}"`);
  return heard;
}

/** A task whose runs wait until `open` is called. */
function gated(id: string) {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return { definition: task({ id, run: async () => (await gate, "done") }), open: () => open() };
}

/**
 * An engine whose worker is idle: no poll for a minute, and a first run done. A claim in flight
 * holds every free slot until it returns, so a trigger meanwhile would queue its run.
 */
async function idleEngine(name: string, definition: ReturnType<typeof gated>["definition"], concurrency: number) {
  const warmUp = task({ id: `${name}-warm-up`, run: async () => null });
  const engine = await startTestEngine(name, { tasks: [definition, warmUp], concurrency, pollIntervalMs: 60_000 });
  await runs.poll((await warmUp.trigger({})).id, { timeoutMs: 10_000 });
  return engine;
}

const started = async (schema: string, id: string) =>
  (await sql<{ status: string; attempts: number; in_insert: boolean | null }>(
    `SELECT status, attempts, started_at = created_at AS in_insert FROM "${schema}".runs WHERE id = $1`, [id]))[0];

describe("a run triggered in a process whose worker has a free slot", () => {
  it("is inserted executing by that worker: never queued or claimed, and no other worker is woken", async () => {
    const { definition, open } = gated("local-start");
    const engine = await idleEngine("local_start", definition, 2);
    const { schema } = engine.options;
    const heard = await listenTo(schema);
    const { id } = await definition.trigger({});
    // started_at is the insert's own now(): the statement that created the run started it.
    expect(await started(schema, id)).toEqual({ status: "EXECUTING", attempts: 1, in_insert: true });
    const channels = channelsOf(schema);
    await until(async () => (heard.some((n) => n.channel === channels.run && runChanges(n.payload).some((c) => c.runId === id)) ? true : undefined), 5_000);
    expect(heard.filter((n) => n.channel === channels.wake)).toEqual([]);
    open();
    expect(await runs.poll(id, { timeoutMs: 10_000 })).toMatchObject({ status: "SUCCESS", output: "done", attempts: 1 });
  });

  it("is queued for any worker when every slot is taken, or when the process has no code for its task", async () => {
    const { definition, open } = gated("local-full");
    const engine = await idleEngine("local_full", definition, 1);
    const { schema } = engine.options;
    const first = await definition.trigger({});
    // Started in its insert, or claimed from the queue when a look for jobs still held the free slot.
    await until(async () => ((await started(schema, first.id))?.status === "EXECUTING" ? true : undefined), 10_000);
    const second = await definition.trigger({});
    expect(await started(schema, second.id)).toMatchObject({ status: "QUEUED", in_insert: null });
    open();
    const done = await Promise.all([first, second].map((h) => runs.poll(h.id, { timeoutMs: 10_000 })));
    expect(done.map((r) => [r.status, r.attempts])).toEqual([["SUCCESS", 1], ["SUCCESS", 1]]);

    // A worker without the task's code (another service's task, triggered by id) leaves it queued.
    const elsewhere = await startTestEngine("local_elsewhere", { schema, tasks: [], concurrency: 4 });
    const third = await serviceOf(elsewhere).trigger({ taskId: "local-full", payload: {} });
    expect((await started(schema, third.id))!.in_insert).not.toBe(true);
  });
});
