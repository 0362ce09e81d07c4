import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import { migrate } from "durably/engine";
import { task } from "durably";
import { buildStatements } from "../engine/db/sql/index.ts";
import { channelsOf, runChanges } from "../engine/notify/listener.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";
import { partsOf, serviceOf } from "../engine/internal.ts";
import { Database } from "../engine/db/database.ts";
import { createLogger } from "../engine/logger.ts";
import { RunAnnouncements } from "../engine/orchestration/announce-runs.ts";

const clients: pg.Client[] = [];
const schemas: string[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end()));
  await dropSchemas(...schemas.splice(0));
});

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  clients.push(client);
  return client;
}

/** Everything heard on the schema's run and wake channels, in order. */
async function listenTo(schema: string): Promise<{ channel: string; payload: string }[]> {
  const channels = channelsOf(schema);
  const listener = await connect();
  const heard: { channel: string; payload: string }[] = [];
  listener.on("notification", (n) => heard.push({ channel: n.channel, payload: n.payload ?? "" }));
  await listener.query(`LISTEN "${channels.run}"; LISTEN "${channels.wake}"`);
  return heard;
}

describe("triggering a run that can start at once", () => {
  // A notifying commit waits for Postgres's one notify lock, which every journal write holds
  // through its WAL flush: a trigger that notified in its own commit queued behind the engine.
  it("commits the run in a statement that notifies nobody", async () => {
    const schema = uniqueSchema("trigger_quiet");
    schemas.push(schema);
    const client = await connect();
    await migrate(client, schema);
    const heard = await listenTo(schema);
    const run = { id: "run_quiet", task_id: "t", task_version: "1", payload: {}, metadata: {}, tags: [], resume_parent: false, delayed: false, priority: 0, ord: 0 };
    const { rows } = await client.query(buildStatements(schema).runs.insertReady, [JSON.stringify([run])]);
    expect(rows.map((r: { id: string }) => r.id)).toEqual(["run_quiet"]);
    // Notifications arrive in commit order: once this one is heard, the insert's would have been.
    await client.query("SELECT pg_notify($1, 'marker')", [channelsOf(schema).run]);
    await until(async () => (heard.length > 0 ? true : undefined), 5_000);
    expect(heard).toEqual([{ channel: channelsOf(schema).run, payload: "marker" }]);
  });

  it("announces the committed run to live views and wakes the workers", async () => {
    const quick = task({ id: "announced", run: async () => null });
    const engine = await startTestEngine("trigger_announce", { tasks: [quick], worker: false });
    const heard = await listenTo(engine.options.schema);
    const { id } = await quick.trigger({});
    const channels = channelsOf(engine.options.schema);
    await until(async () => {
      const named = heard.some((n) => n.channel === channels.run && runChanges(n.payload).some((c) => c.runId === id && !c.finished));
      return named && heard.some((n) => n.channel === channels.wake) ? true : undefined;
    }, 5_000);
  });

  it("starts at once in the triggering process when its worker has a free slot, without the notification", async () => {
    const quick = task({ id: "started-here", run: async () => "ran" });
    const engine = await startTestEngine("trigger_here", { tasks: [quick], pollIntervalMs: 60_000 });
    const finished = (id: string) =>
      until(async () => {
        const seen = await serviceOf(engine).retrieveRun(id);
        return seen.status === "SUCCESS" ? seen : undefined;
      }, 10_000);
    // A first run, woken by its notification, leaves the worker idle until its next poll a minute away.
    await finished((await quick.trigger({})).id);
    // No notification reaches this engine now: only the trigger itself can wake its worker.
    await partsOf(engine).listener.stop();
    const run = await finished((await quick.trigger({})).id);
    expect(run.output).toBe("ran");
  });

  // A caller triggering one run after another would otherwise pay a statement per trigger.
  it("announces runs triggered one after another together when they wake no worker", async () => {
    const schema = uniqueSchema("trigger_gathered");
    schemas.push(schema);
    await migrate(await connect(), schema);
    const heard = await listenTo(schema);
    const db = new Database(TEST_DATABASE_URL, 2, createLogger("error"));
    try {
      const channels = channelsOf(schema);
      const announcements = new RunAnnouncements(db, buildStatements(schema), channels);
      announcements.announce([{ id: "run_a", revision: "1" }], false);
      announcements.announce([{ id: "run_b", revision: "1" }], false);
      await until(async () => (heard.length > 0 ? true : undefined), 5_000);
      // Notifications arrive in commit order: once the marker is heard, nothing else is coming.
      await db.query("SELECT pg_notify($1, 'marker')", [channels.run]);
      await until(async () => (heard.some((n) => n.payload === "marker") ? true : undefined), 5_000);
      expect(heard).toEqual([{ channel: channels.run, payload: "run_a:1,run_b:1" }, { channel: channels.run, payload: "marker" }]);
    } finally {
      await db.end();
    }
  });

  // An announcement beside the run's own commits would contend with them for the notify lock.
  it("leaves out of an announcement the runs whose journal write here has notified them already", async () => {
    const schema = uniqueSchema("trigger_superseded");
    schemas.push(schema);
    await migrate(await connect(), schema);
    const heard = await listenTo(schema);
    const db = new Database(TEST_DATABASE_URL, 2, createLogger("error"));
    try {
      const channels = channelsOf(schema);
      const announcements = new RunAnnouncements(db, buildStatements(schema), channels);
      announcements.announce([{ id: "run_a", revision: "1" }, { id: "run_b", revision: "1" }], false);
      announcements.notified("run_a");
      await until(async () => (heard.length > 0 ? true : undefined), 5_000);
      await db.query("SELECT pg_notify($1, 'marker')", [channels.run]);
      await until(async () => (heard.some((n) => n.payload === "marker") ? true : undefined), 5_000);
      expect(heard).toEqual([{ channel: channels.run, payload: "run_b:1" }, { channel: channels.run, payload: "marker" }]);
    } finally {
      await db.end();
    }
  });

  it("tells the announcements of a run started here once its first journal write has committed", async () => {
    const stepper = task({ id: "steps-here", run: async (_: unknown, { io }) => io.runTask("one", async () => "ran") });
    const engine = await startTestEngine("trigger_notified", { tasks: [stepper] });
    const notified = vi.spyOn(RunAnnouncements.prototype, "notified");
    try {
      const { id } = await stepper.trigger({});
      await expect(serviceOf(engine).pollRun(id, 10_000)).resolves.toMatchObject({ status: "SUCCESS" });
      expect(notified).toHaveBeenCalledWith(id);
    } finally {
      notified.mockRestore();
    }
  });
});
