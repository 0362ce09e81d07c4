import { createServer, Socket as NetSocket, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configure, metadata, runs, streams, task, tasks, wait, type Run } from "durably";
import { createEngine, type Engine } from "durably/engine";
import { disconnect, getBackend } from "../sdk/backend.ts";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

/**
 * runs.subscribeToRun / subscribeToRunsWithTag / subscribeToBatch through both backends, with the
 * connections they depend on cut half-way: every subscriber still sees each run's snapshots at
 * strictly growing revisions, ending with the run as it finished.
 */
const SECRET = "subscriptions-secret-0123456789";
const schema = uniqueSchema("subs");

const gated = task({
  id: "subs-gated",
  run: async (payload: { gate: string }) => {
    for (let i = 1; i <= 3; i++) await metadata.set("before", i);
    await wait.forToken(payload.gate);
    for (let i = 1; i <= 3; i++) await metadata.set("after", i);
    return "done";
  },
});

const streamed = task({
  id: "subs-streamed",
  run: async (payload: { gate: string }) => {
    for (let i = 1; i <= 3; i++) await streams.append("out", i), await metadata.set("before", i);
    await wait.forToken(payload.gate);
    for (let i = 4; i <= 6; i++) await streams.append("out", i), await metadata.set("after", i);
    return "done";
  },
});

/** Released by the test: the steps of `slow` that run until then. */
let start: () => void = () => undefined;
let release: () => void = () => undefined;
const slow = task({
  id: "subs-slow",
  run: async (_: unknown, { io }) => {
    await io.runTask("first", () => new Promise<void>((resolve) => (start = resolve)));
    await metadata.set("progress", 0.5);
    await io.runTask("long", () => new Promise<void>((resolve) => (release = resolve)));
    return "done";
  },
});

/** A TCP proxy in front of the engine's HTTP server whose open connections the test can cut. */
class CuttableProxy {
  readonly sockets = new Set<Socket>();
  server!: Server;
  url = "";
  async start(target: URL): Promise<void> {
    this.server = createServer((client) => {
      const upstream = new NetSocket();
      upstream.connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  cut(): number {
    const n = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    return n;
  }
  stop(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let engine: Engine;
const proxy = new CuttableProxy();

beforeAll(async () => {
  engine = createEngine({
    databaseUrl: TEST_DATABASE_URL, schema, tasks: [gated, slow, streamed], http: { port: 0 }, secretKey: SECRET, logLevel: "silent", pollIntervalMs: 200,
  });
  await engine.start();
  await proxy.start(new URL(engine.url!));
});

afterAll(async () => {
  await disconnect();
  await proxy.stop();
  await engine?.stop();
  await dropSchemas(schema);
});

/** Ends every PostgreSQL session that LISTENs for this schema's notifications (the engine's and a direct backend's). */
async function terminateListeners(): Promise<number> {
  const rows = await sql<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = 'durably-listener' AND query LIKE $1 AND pid <> pg_backend_pid()`,
    [`%${schema}_%`],
  );
  for (const { pid } of rows) await sql("SELECT pg_terminate_backend($1)", [pid]);
  return rows.length;
}

/** Collects an iterator's snapshots in the background until it ends (or `stop`). */
function collect(iterator: AsyncIterableIterator<Run>) {
  const snapshots: Run[] = [];
  const done = (async () => {
    for await (const run of iterator) snapshots.push(run);
  })();
  return { snapshots, done, stop: () => iterator.return?.() };
}

/** Per run, the revisions a subscriber saw: strictly growing (no repeat, nothing stale). */
function expectGrowingRevisions(snapshots: Run[]): void {
  const byRun = new Map<string, number[]>();
  for (const run of snapshots) byRun.set(run.id, [...(byRun.get(run.id) ?? []), run.revision]);
  for (const [id, revisions] of byRun) expect(revisions, id).toEqual([...new Set(revisions)].sort((a, b) => a - b));
}

const finalRevision = async (id: string) =>
  (await sql<{ revision: number }>(`SELECT revision::int FROM "${schema}".runs WHERE id = $1`, [id]))[0]!.revision;

const backends = [
  ["direct", () => configure({ databaseUrl: TEST_DATABASE_URL, schema, secretKey: SECRET }), terminateListeners],
  ["HTTP", () => configure({ baseUrl: proxy.url, secretKey: SECRET }), async () => proxy.cut() + (await terminateListeners())],
] as const;

describe.each(backends)("subscriptions through the %s backend", (name, use, dropConnections) => {
  beforeAll(use);

  it("subscribeToRun yields the run at growing revisions across a dropped connection and ends with the finished run", async () => {
    const gate = await wait.createToken({ timeout: "1h" });
    const handle = await gated.trigger({ gate: gate.id });
    const sub = collect(runs.subscribeToRun(handle));
    await until(async () => (sub.snapshots.at(-1)?.status === "WAITING" ? true : undefined), 20_000);
    expect(sub.snapshots.at(-1)!.metadata).toEqual({ before: 3 });
    expect(await dropConnections()).toBeGreaterThan(0);
    await wait.completeToken(gate.id, {});
    await sub.done;
    const last = sub.snapshots.at(-1)!;
    expect(last).toMatchObject({ id: handle.id, status: "SUCCESS", output: "done", metadata: { before: 3, after: 3 }, isCompleted: true });
    expect(last.revision).toBe(await finalRevision(handle.id));
    expectGrowingRevisions(sub.snapshots);
  });

  it("a run's updates and its stream, followed across a dropped connection, bring each journal entry and each chunk once", async () => {
    const gate = await wait.createToken({ timeout: "1h" });
    const { id } = await streamed.trigger({ gate: gate.id });
    const backend = await getBackend();
    const entries: number[] = [];
    const updates = (async () => {
      for await (const update of backend.subscribeToRunUpdates(id)) if (update.type === "journal") entries.push(update.entry.revision);
    })();
    const chunks: number[] = [];
    const read = (async () => {
      for await (const chunk of await streams.read<number>(id, "out")) chunks.push(chunk);
    })();
    const journal = async () =>
      (await sql<{ revision: number }>(`SELECT revision::int FROM "${schema}".journal WHERE run_id = $1 ORDER BY revision`, [id])).map((row) => row.revision);
    // Waiting, with everything before the wait taken.
    await until(async () => (chunks.length === 3 && (await runs.retrieve(id)).status === "WAITING" && entries.length === (await journal()).length ? true : undefined), 20_000);
    expect(await dropConnections()).toBeGreaterThan(0);
    await wait.completeToken(gate.id, {});
    await Promise.all([updates, read]);
    expect(chunks).toEqual([1, 2, 3, 4, 5, 6]);
    expect(entries).toEqual(await journal());
  });

  it("subscribeToRun yields a metadata change at once, while the run's next step is still running", async () => {
    const handle = await slow.trigger({});
    const sub = collect(runs.subscribeToRun(handle));
    // Subscribed while the run is in its first step: the metadata change comes after.
    await until(async () => (sub.snapshots.at(-1)?.status === "EXECUTING" ? true : undefined), 20_000);
    expect(sub.snapshots.at(-1)!.metadata).toEqual({});
    start();
    const progressed = await until(async () => sub.snapshots.find((r) => r.metadata.progress === 0.5), 20_000);
    expect(progressed).toMatchObject({ status: "EXECUTING" });
    expect((await runs.retrieve(handle)).status).toBe("EXECUTING");
    release();
    await sub.done;
    expect(sub.snapshots.at(-1)).toMatchObject({ status: "SUCCESS", metadata: { progress: 0.5 } });
    expectGrowingRevisions(sub.snapshots);
  });

  it("subscribeToBatch follows every run of a batch through a dropped connection and ends when all have finished", async () => {
    const gate = await wait.createToken({ timeout: "1h" });
    const batch = await tasks.batchTrigger<typeof gated>("subs-gated", [1, 2, 3].map(() => ({ payload: { gate: gate.id } })));
    expect(batch.batchId).toMatch(/^batch_/);
    const sub = collect(runs.subscribeToBatch(batch.batchId!));
    const waiting = () => new Set(sub.snapshots.filter((r) => r.status === "WAITING").map((r) => r.id)).size;
    await until(async () => (waiting() === 3 ? true : undefined), 20_000);
    await dropConnections();
    await wait.completeToken(gate.id, {});
    await sub.done;
    expectGrowingRevisions(sub.snapshots);
    for (const { id } of batch.runs) {
      const last = sub.snapshots.filter((r) => r.id === id).at(-1)!;
      expect(last).toMatchObject({ status: "SUCCESS", metadata: { before: 3, after: 3 } });
      expect(last.revision).toBe(await finalRevision(id));
    }
  });

  it("subscribeToRunsWithTag yields the tag's runs, old and new, and only those", async () => {
    const tag = `subs-tag-${name}`;
    const gate = await wait.createToken({ timeout: "1h" });
    const before = await gated.trigger({ gate: gate.id }, { tags: [tag] });
    const other = await gated.trigger({ gate: gate.id }, { tags: ["subs-other"] });
    const sub = collect(runs.subscribeToRunsWithTag(tag));
    await until(async () => (sub.snapshots.some((r) => r.id === before.id && r.status === "WAITING") ? true : undefined), 20_000);
    const after = await gated.trigger({ gate: gate.id }, { tags: [tag] });
    await until(async () => (sub.snapshots.some((r) => r.id === after.id && r.status === "WAITING") ? true : undefined), 20_000);
    await dropConnections();
    await wait.completeToken(gate.id, {});
    for (const id of [before.id, after.id]) {
      await until(async () => (sub.snapshots.some((r) => r.id === id && r.status === "SUCCESS") ? true : undefined), 20_000);
      expect(sub.snapshots.filter((r) => r.id === id).at(-1)!.revision).toBe(await finalRevision(id));
    }
    await runs.poll(other, { timeoutMs: 20_000 });
    await sub.stop();
    await sub.done;
    expect(sub.snapshots.some((r) => r.id === other.id)).toBe(false);
    expectGrowingRevisions(sub.snapshots);
  });

  it("a subscription to a missing run or batch fails with a not-found error", async () => {
    await expect(runs.subscribeToRun("run_missing").next()).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
    await expect(runs.subscribeToBatch("batch_missing").next()).rejects.toMatchObject({ code: "BATCH_NOT_FOUND" });
  });
});
