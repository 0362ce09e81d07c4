// Changes a process commits to a run reach that run's SSE streams and subscriptions in the same
// process from the write's own result (engine/notify/committed.ts): the entry and the run as of
// it, not read back.
import { describe, expect, it, vi } from "vitest";
import { metadata, runs, task, type Run } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { readSse, type SseMessage } from "./helpers/sse.ts";
import { partsOf } from "../engine/internal.ts";

const SECRET = "test-secret-key-0123456789";
const auth = { authorization: `Bearer ${SECRET}` };

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const start = gate();
const finish = gate();

/** Steps, a metadata write and statuses, once the test follows the run; then holds until the test has looked. */
const changes = task({
  id: "handed-changes",
  run: async (_: null, { io }) => {
    await start.opened;
    await io.runTask("one", async () => 1);
    await metadata.set("progress", 0.5);
    await io.runTask("two", async () => 2);
    const status = await io.createStatus("progress", { label: "Working", state: "loading" });
    await status.update("done", { label: "Done", state: "success" });
    await io.runTask("three", async () => 3);
    await finish.opened;
    return "done";
  },
});

const statusesCreated = gate();
const statusesOpen = gate();
const statusesDone = gate();

/** A status and five updates once the test follows the run; then holds until the test has looked. */
const statuses = task({
  id: "handed-statuses",
  run: async (_: null, { io }) => {
    const status = await io.createStatus("progress", { label: "0" });
    statusesCreated.open();
    await statusesOpen.opened;
    for (let n = 1; n <= 5; n++) await status.update(`u${n}`, { label: String(n) });
    await statusesDone.opened;
    return "done";
  },
});

const subscribedCreated = gate();
const subscribedOpen = gate();
const subscribedDone = gate();

/** Five status updates and a metadata write once the test has subscribed; then holds until the test has looked. */
const subscribed = task({
  id: "handed-subscription",
  run: async (_: null, { io }) => {
    const status = await io.createStatus("progress", { label: "0" });
    subscribedCreated.open();
    await subscribedOpen.opened;
    for (let n = 1; n <= 5; n++) await status.update(`u${n}`, { label: String(n) });
    await metadata.set("done", true);
    await subscribedDone.opened;
    return "done";
  },
});

const entryOf = (message: SseMessage) =>
  message.event === "journal" ? (JSON.parse(message.data) as { entry: { key: string; kind: string; revision: number; finishedAt: string } }).entry : undefined;

describe("a run's stream in the process that commits its changes", () => {
  it("gets each change and the run as of it without reading them, the same run a read gives", async () => {
    const engine = await startTestEngine("sse_handoff", { tasks: [changes], http: { port: 0 }, secretKey: SECRET, pollIntervalMs: 50 });
    const parts = partsOf(engine);
    await parts.listener.stop();
    const query = vi.spyOn(parts.db, "query");
    const reads = () => query.mock.calls.filter(([text]) => text === parts.sql.feed.runSince).length;
    const { id } = await changes.trigger(null);
    await until(async () => ((await runs.retrieve(id)).status === "EXECUTING" ? true : undefined), 10_000);
    const url = `${engine.url}/api/runs/${id}/stream`;

    const { messages } = await readSse(url, {
      headers: auth,
      stop: (message, all) => {
        if (message.event === "run" && all.filter((m) => m.event === "run").length === 1) start.open();
        return message.event === "run" && all.some((m) => entryOf(m)?.key === "three");
      },
    });
    // The stream's first read, and nothing after it.
    expect(reads()).toBe(1);
    const entries = messages.flatMap((m) => entryOf(m) ?? []);
    expect(entries.map((e) => e.kind)).toEqual(["task", "metadata", "task", "status", "status", "task"]);
    const runAt = new Map(messages.filter((m) => m.event === "run").map((m) => {
      const run = JSON.parse(m.data) as { revision: number; updatedAt: string; metadata: unknown; status: string };
      return [run.revision, run];
    }));
    for (const entry of entries) {
      // A metadata entry stands for the run as of it (id 2R+1); every other entry is followed by that run.
      const id = messages.find((m) => entryOf(m)?.revision === entry.revision)!.id;
      if (entry.kind === "metadata") {
        expect(id).toBe(String(entry.revision * 2 + 1));
        continue;
      }
      expect(id).toBe(String(entry.revision * 2));
      const metadata = entry.key === "one" ? {} : { progress: 0.5 };
      expect(runAt.get(entry.revision)).toMatchObject({ updatedAt: entry.finishedAt, status: "EXECUTING", metadata });
    }

    // A stream opened now reads the run: the same as the one built from the last change.
    const fresh = await readSse(url, { headers: auth, stop: (message) => message.event === "run" });
    expect(JSON.parse(fresh.messages.at(-1)!.data)).toEqual(JSON.parse(messages.at(-1)!.data));
    finish.open();
    await until(async () => ((await runs.retrieve(id)).status === "SUCCESS" ? true : undefined), 10_000);
  });

  it("needs no read for a notification heard before its process's write returned", async () => {
    const engine = await startTestEngine("sse_handoff_notified", { tasks: [statuses], http: { port: 0 }, secretKey: SECRET });
    const parts = partsOf(engine);
    const { id } = await statuses.trigger(null);
    // Nothing changes the run between the stream's first read and the updates.
    await statusesCreated.opened;
    // Each journal write returns only once the LISTEN connection has heard a notification of
    // the run after it began: the stream always hears of the change before its result.
    let heard = 0;
    const offHeard = parts.listener.onRun(parts.channels.run, id, () => heard++);
    const { writeOne, writeOneWithMetadata, writeMany, writeManyWithMetadata, writeManyNoClaim, writeManyWithMetadataNoClaim } = parts.sql.journal;
    const writes = new Set([writeOne, writeOneWithMetadata, writeMany, writeManyWithMetadata, writeManyNoClaim, writeManyWithMetadataNoClaim]);
    const query = parts.db.query.bind(parts.db);
    const spy = vi.spyOn(parts.db, "query").mockImplementation((async (text: string, ...rest: unknown[]) => {
      const before = heard;
      const result = await (query as (...args: unknown[]) => Promise<unknown>)(text, ...rest);
      if (writes.has(text)) await until(async () => (heard > before ? true : undefined), 10_000, 1);
      return result;
    }) as typeof parts.db.query);
    const reads = () => spy.mock.calls.filter(([text]) => text === parts.sql.feed.runSince).length;

    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream`, {
      headers: auth,
      stop: (message, all) => {
        if (message.event === "run" && all.filter((m) => m.event === "run").length === 1) statusesOpen.open();
        return message.event === "run" && all.some((m) => entryOf(m)?.key === "u5");
      },
    });
    expect(messages.flatMap((m) => entryOf(m)?.key ?? [])).toEqual(["progress", "u1", "u2", "u3", "u4", "u5"]);
    expect(heard).toBeGreaterThanOrEqual(5);
    expect(reads()).toBe(1);
    offHeard();
    spy.mockRestore();
    statusesDone.open();
    await until(async () => ((await runs.retrieve(id)).status === "SUCCESS" ? true : undefined), 10_000);
  });
});

describe("a run's subscription in the process that commits its changes", () => {
  it("gets the run as of each change without reading it, the same run a read gives", async () => {
    const engine = await startTestEngine("subscribe_handoff", { tasks: [subscribed] });
    const parts = partsOf(engine);
    const { id } = await subscribed.trigger(null);
    // Nothing changes the run between the subscription's first read and the updates.
    await subscribedCreated.opened;
    const query = vi.spyOn(parts.db, "query");
    const reads = () => query.mock.calls.filter(([text]) => text === parts.sql.feed.runs).length;

    let first: number | undefined;
    let last: Run | undefined;
    for await (const run of runs.subscribeToRun(id)) {
      if (first === undefined) {
        first = reads();
        subscribedOpen.open();
      }
      last = run;
      if (run.metadata.done) break;
    }
    expect(first).toBe(1);
    expect(reads()).toBe(1);
    expect(last).toMatchObject({ status: "EXECUTING", metadata: { done: true } });

    const fresh = runs.subscribeToRun(id);
    const { value } = await fresh.next();
    await fresh.return?.();
    expect(value).toEqual(last);
    query.mockRestore();
    subscribedDone.open();
    await until(async () => ((await runs.retrieve(id)).status === "SUCCESS" ? true : undefined), 10_000);
  });
});
