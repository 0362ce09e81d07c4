import { describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { buildApp } from "../engine/http/server.ts";
import { parseSse, readSse, statusVersions } from "./helpers/sse.ts";
import { partsOf, serviceOf } from "../engine/internal.ts";

const SECRET = "test-secret-key-0123456789";
const auth = { authorization: `Bearer ${SECRET}` };

const progress = task({
  id: "progress",
  run: async (p: { gateMs: number }, { io }) => {
    const status = await io.createStatus("progress", { label: "Working", state: "loading", data: { n: 1 } });
    for (let n = 2; n <= 50; n++) {
      await status.update(`step-${n}`, { data: { n }, ...(n === 50 ? { state: "success" as const } : {}) });
      await new Promise((r) => setTimeout(r, p.gateMs));
    }
    return "done";
  },
});

/**
 * A run that creates a status (`n` 1), waits until the test opens its gate, then updates it up to
 * `last`, `gapMs` apart, each version's data carrying `pad` if given.
 */
function gatedProgress(id: string, last: number, options: { gapMs?: number; pad?: string } = {}) {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const definition = task({
    id,
    run: async (_: null, { io }) => {
      const status = await io.createStatus("progress", { label: "Working", state: "loading", data: { n: 1 } });
      await gate;
      for (let n = 2; n <= last; n++) {
        await status.update(`step-${n}`, { data: options.pad === undefined ? { n } : { n, pad: options.pad } });
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
      return "done";
    },
  });
  return { task: definition, open };
}

describe("run stream (SSE)", () => {
  it("delivers all 50 status versions in order, and a reconnect with Last-Event-ID gets exactly the rest", async () => {
    const engine = await startTestEngine("sse", { tasks: [progress], http: { port: 0 }, secretKey: SECRET });
    const { id } = await progress.trigger({ gateMs: 15 });
    const url = `${engine.url}/api/runs/${id}/stream`;

    const whole = readSse(url, { headers: auth });
    const firstHalf = await readSse(url, { headers: auth, stop: (_, all) => statusVersions(all).length >= 20 });
    const lastId = firstHalf.messages.at(-1)!.id!;
    const rest = await readSse(url, { headers: { ...auth, "last-event-id": lastId } });

    const all = (await whole).messages;
    expect(statusVersions(all)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(all.at(-1)!.event).toBe("end");
    expect(JSON.parse(all.filter((m) => m.event === "run").at(-1)!.data)).toMatchObject({ id, status: "SUCCESS", output: "done" });

    const resumed = [...statusVersions(firstHalf.messages), ...statusVersions(rest.messages)];
    expect(resumed).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const ids = [...firstHalf.messages, ...rest.messages].map((m) => m.id).filter((x): x is string => x !== undefined).map(Number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a stream opened after the run finished replays the whole journal and ends", async () => {
    const engine = await startTestEngine("sse_late", { tasks: [progress], http: { port: 0 }, secretKey: SECRET });
    const { id } = await progress.trigger({ gateMs: 0 });
    await serviceOf(engine).pollRun(id, 20_000);
    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream`, { headers: auth });
    expect(statusVersions(messages)).toHaveLength(50);
    expect(messages.at(-1)!.event).toBe("end");
  });

  it("sends the statuses this process commits without waiting for Postgres to notify it", async () => {
    const gated = gatedProgress("gated-progress", 4, { gapMs: 20 });
    // No notifications reach this engine: the worker finds the run by polling, and the stream
    // learns of the updates only from the writes this process commits.
    const engine = await startTestEngine("sse_local", { tasks: [gated.task], http: { port: 0 }, secretKey: SECRET, pollIntervalMs: 50 });
    await partsOf(engine).listener.stop();
    const { id } = await gated.task.trigger(null);
    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream`, {
      headers: auth,
      stop: (message, all) => (message.event === "run" && gated.open(), statusVersions(all).length >= 4),
    });
    expect(statusVersions(messages)).toEqual([1, 2, 3, 4]);
  });

  it("a client that stops reading stops its stream from queueing the run's statuses, and gets every one once it reads again", async () => {
    const statuses = 600;
    const burst = gatedProgress("burst-progress", statuses, { pad: "x".repeat(2_000) });
    const engine = await startTestEngine("sse_stalled", { tasks: [burst.task], devMode: true });
    const { id } = await burst.task.trigger(null);
    // In process, so that no socket buffer takes events off the stream's queue.
    const response = await buildApp(partsOf(engine), []).request(`/api/runs/${id}/stream`);
    const reader = response.body!.getReader();
    await until(async () => ((await runs.retrieve(id)).status === "EXECUTING" ? true : undefined), 10_000);
    burst.open();
    await runs.poll(id, { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));

    // What the stream queued while nobody read: the chunks a read gets before the stream can produce more.
    const decoder = new TextDecoder();
    let text = "";
    let queued = 0;
    for (let pending = reader.read(); ; pending = reader.read()) {
      const chunk = await Promise.race([pending, new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
      if (!chunk) {
        const rest = await pending;
        if (!rest.done) text += decoder.decode(rest.value, { stream: true });
        break;
      }
      text += decoder.decode(chunk.value, { stream: true });
      queued++;
    }
    // 16 events, plus what the stream's last read before it stopped had returned at once: a few
    // statuses, more when the machine is slow. Without the hold-back, all 600 and more.
    expect(queued).toBeLessThan(statuses / 2);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true });
    const messages = parseSse(text);
    expect(statusVersions(messages)).toEqual(Array.from({ length: statuses }, (_, i) => i + 1));
    expect(messages.at(-1)!.event).toBe("end");
  });

  it("a client that disconnects ends its stream: the run is no longer followed", async () => {
    const waiting = gatedProgress("held-progress", 1);
    const engine = await startTestEngine("sse_gone", { tasks: [waiting.task], http: { port: 0 }, secretKey: SECRET });
    const { id } = await waiting.task.trigger(null);
    await readSse(`${engine.url}/api/runs/${id}/stream`, { headers: auth, stop: (_, all) => statusVersions(all).length === 1 });
    await until(async () => (partsOf(engine).entries.follows(id) ? undefined : true), 10_000, 20);
    waiting.open();
  });

  it("sends a status this process commits at once while a read that a notification started is still under way, and only once", async () => {
    const paused = gatedProgress("paused-progress", 2, { gapMs: 200 });
    const engine = await startTestEngine("sse_race", { tasks: [paused.task], http: { port: 0 }, secretKey: SECRET });
    const { db, sql, channels } = partsOf(engine);
    // Reads of the run stream's feed are held back once `holdReads` is set: a read under way for
    // as long as the test likes, on the real database. It runs once released, so it sees the
    // status committed meanwhile, as a read the status's own notification started would.
    let holdReads = false;
    let readStarted: () => void = () => undefined;
    const readUnderWay = new Promise<void>((resolve) => (readStarted = resolve));
    let releaseReads: () => void = () => undefined;
    const readsReleased = new Promise<void>((resolve) => (releaseReads = resolve));
    const query = db.query.bind(db);
    db.query = (async (text: string, values?: unknown[], on?: never) => {
      if (holdReads && text === sql.feed.runSince) {
        readStarted();
        await readsReleased;
      }
      return query(text, values, on);
    }) as typeof db.query;

    const { id } = await paused.task.trigger(null);
    let caughtUp: (revision: number) => void = () => undefined;
    const atRevision = new Promise<number>((resolve) => (caughtUp = resolve));
    let secondStatus: () => void = () => undefined;
    const secondSent = new Promise<void>((resolve) => (secondStatus = resolve));
    const reading = readSse(`${engine.url}/api/runs/${id}/stream`, {
      headers: auth,
      stop: (message, all) => {
        const run = message.event === "run" ? (JSON.parse(message.data) as { status: string; revision: number }) : undefined;
        if (run?.status === "EXECUTING" && statusVersions(all).length === 1) caughtUp(run.revision);
        if (statusVersions(all).includes(2)) secondStatus();
        return message.event === "end";
      },
    });
    const revision = await atRevision;
    holdReads = true;
    // The notification of the next write, come before the write's own result: one for a revision
    // the stream has sent already starts no read.
    await db.query("SELECT pg_notify($1, $2)", [channels.run, `${id}:${revision + 1}`]);
    await readUnderWay;
    paused.open();
    const sentFirst = await Promise.race([secondSent.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
    releaseReads();
    const { messages } = await reading;
    expect(sentFirst).toBe(true);
    expect(statusVersions(messages)).toEqual([1, 2]);
    const ids = messages.map((m) => m.id).filter((x): x is string => x !== undefined).map(Number);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe("runs stream (SSE)", () => {
  it("never sends a run older than one it sent before, however slow a read is", async () => {
    const { task: steps, open } = gatedProgress("slow-read-steps", 4, { gapMs: 150 });
    const engine = await startTestEngine("sse_all_runs", { tasks: [steps], http: { port: 0 }, secretKey: SECRET });
    const { id } = await steps.trigger(null);
    await until(async () => ((await serviceOf(engine).getRunStatuses(id)).statuses.length === 1 ? true : undefined), 10_000);

    // The first read of the run after the gate opens answers 400 ms late, while the run moves on.
    const service = serviceOf(engine);
    const retrieveRun = service.retrieveRun.bind(service);
    let slowNext = false;
    let slowSent = false;
    service.retrieveRun = async (runId: string) => {
      const run = await retrieveRun(runId);
      if (runId === id && slowNext) {
        slowNext = false;
        await new Promise((r) => setTimeout(r, 400));
        slowSent = true;
      }
      return run;
    };
    const isRun = (m: { event: string; data: string }) => m.event === "run" && (JSON.parse(m.data) as { id: string }).id === id;
    const { promise: subscribed, resolve: onOpen } = Promise.withResolvers<void>();
    const stream = readSse(`${engine.url}/api/runs/stream`, {
      headers: auth,
      onOpen,
      stop: (_, all) => slowSent && all.some((m) => isRun(m) && (JSON.parse(m.data) as { status: string }).status === "SUCCESS"),
    });
    await subscribed;
    slowNext = true;
    open();

    const revisions = (await stream).messages.filter(isRun).map((m) => (JSON.parse(m.data) as { revision: number }).revision);
    expect(revisions.length).toBeGreaterThan(1);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
  });
});
