// useRealtimeStream / useRealtimeRunWithStreams without React: what the hooks do is a QueryObserver
// on the stream's cache entry and `live.streams.follow` while mounted. Fake EventSources force
// reconnects and shared connections; a fetch-backed one follows a real engine through a reset.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { auth, streams, task } from "durably";
import { createLiveUpdates } from "../react/client/live-updates.ts";
import { createHttpClient, DurablyApiError, type DurablyHttpClient } from "../react/client/http-client.ts";
import { durablyKeys } from "../react/client/query-keys.ts";
import type { StreamData } from "../react/types.ts";
import { FetchEventSource } from "./helpers/fetch-event-source.ts";
import { FakeEventSource as FakeES, makeRun } from "./helpers/react.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const SECRET = "data-streams-secret-key-0123456789";

function harness(api: DurablyHttpClient = createHttpClient({ baseUrl: "http://x", accessToken: "tok" })) {
  const queryClient = new QueryClient();
  const keys = durablyKeys(api.baseUrl);
  const live = createLiveUpdates({ queryClient, api, keys, createEventSource: (url) => new FakeES(url) });
  const data = (runId: string, key: string) => queryClient.getQueryData<StreamData>(keys.runStream(runId, key));
  return { queryClient, keys, live, api, data };
}

describe("following a run's stream (fake EventSource)", () => {
  beforeEach(() => {
    FakeES.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("carries every stream followed and the run on one connection per run, resumes each part after a drop, reopens once per change of what it carries, and closes with the last follower", async () => {
    const { live, api, data, queryClient, keys } = harness();
    const noop = () => undefined;
    const stopA = live.streams.follow(api, "run_1", "ai", noop);
    const stopB = live.streams.follow(api, "run_1", "ai", noop);
    const other = live.streams.follow(api, "run_1", "logs", noop);
    // Followers joining in one tick open one connection for all of them.
    expect(FakeES.all).toHaveLength(0);
    await Promise.resolve();
    expect(FakeES.all.map((es) => es.url)).toEqual(["http://x/api/runs/run_1/stream?streams=ai,logs&run=0&token=tok"]);
    const es = FakeES.all[0]!;
    es.onopen?.(new Event("open"));
    es.emit("chunk", { key: "ai", index: 1, data: "a" }, "0_0.1_0.0");
    es.emit("chunk", { key: "ai", index: 2, data: "b" }, "0_0.2_0.0");
    es.emit("chunk", { key: "logs", index: 1, data: "L" }, "0_0.2_0.1");
    es.emit("chunk", { key: "ai", index: 3, data: "c" }, "0_0.3_0.1");
    // A replay superseded chunks 2 and 3: they go, the live ones follow.
    es.emit("reset", { key: "ai", fromIndex: 2, resets: 1 }, "0_1.1_0.1");
    es.emit("chunk", { key: "ai", index: 4, data: "B" }, "0_1.4_0.1");
    expect(data("run_1", "ai")?.parts).toEqual([{ index: 1, data: "a" }, { index: 4, data: "B" }]);
    expect(data("run_1", "logs")?.parts).toEqual([{ index: 1, data: "L" }]);

    es.onerror?.(new Event("error"));
    vi.advanceTimersByTime(250);
    const again = FakeES.all[1]!;
    expect(again.url).toBe("http://x/api/runs/run_1/stream?streams=ai,logs&run=0&token=tok&lastEventId=_1.4_0.1");
    // A chunk re-sent after the reconnect is not taken twice.
    again.emit("chunk", { key: "ai", index: 4, data: "B" }, "0_1.4_0.1");
    again.emit("chunk", { key: "ai", index: 5, data: "C" }, "0_1.5_0.1");
    expect(data("run_1", "ai")?.parts.map((p) => p.data)).toEqual(["a", "B", "C"]);

    // The run's hooks join the same connection, from their snapshot's revision, reopened once.
    queryClient.setQueryData(keys.run("run_1"), makeRun({ revision: 5 }));
    const watch = live.watchRun("run_1");
    await Promise.resolve();
    const withRun = FakeES.all[2]!;
    expect(FakeES.all).toHaveLength(3);
    expect(withRun.url).toBe("http://x/api/runs/run_1/stream?streams=ai,logs&token=tok&lastEventId=_1.5_0.1&since=5");
    withRun.emit("run", makeRun({ revision: 6, metadata: { n: 1 } }), "13_1.5_0.1");
    withRun.emit("chunk", { key: "logs", index: 2, data: "M" }, "13_1.5_0.2");
    expect(queryClient.getQueryData<{ revision: number }>(keys.run("run_1"))?.revision).toBe(6);
    expect(data("run_1", "logs")?.parts.map((p) => p.data)).toEqual(["L", "M"]);

    stopA();
    expect(withRun.closed).toBe(false);
    stopB();
    await Promise.resolve();
    // Without "ai" now: the run resumes after the last id taken, "logs" after its last chunk.
    expect(withRun.closed).toBe(true);
    expect(FakeES.all[3]!.url).toBe("http://x/api/runs/run_1/stream?streams=logs&token=tok&lastEventId=13_0.2");
    FakeES.all[3]!.emit("stream-end", { runId: "run_1", key: "logs", status: "SUCCESS", lastIndex: 2 }, "15_0.2");
    FakeES.all[3]!.emit("end", { id: "run_1", status: "SUCCESS" });
    expect(FakeES.all[3]!.closed).toBe(true);
    expect(data("run_1", "logs")?.end).toEqual({ runId: "run_1", key: "logs", status: "SUCCESS", lastIndex: 2 });
    watch();
    other();
    // Followed again later: "ai" resumes after what the cache holds; a finished stream is not opened again.
    const stopC = live.streams.follow(api, "run_1", "ai", noop);
    live.streams.follow(api, "run_1", "logs", noop)();
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(5);
    expect(FakeES.all[4]!.url).toBe("http://x/api/runs/run_1/stream?streams=ai&run=0&token=tok&lastEventId=_1.5");
    stopC();
    expect(FakeES.all[4]!.closed).toBe(true);
  });

  it("tells its followers when the credential may not read the stream, and stops trying", async () => {
    const base = createHttpClient({ baseUrl: "http://x", accessToken: "other-run-token" });
    const api: DurablyHttpClient = {
      ...base,
      getRunStream: () => Promise.reject(new DurablyApiError("FORBIDDEN", "This token may not read run_1", 403)),
    };
    const { live } = harness(api);
    const errors: DurablyApiError[] = [];
    const stop = live.streams.follow(api, "run_1", "ai", (error) => errors.push(error));
    await Promise.resolve();
    FakeES.all[0]!.onerror?.(new Event("error"));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(errors.map((e) => e.status)).toEqual([403]);
    expect(FakeES.all).toHaveLength(1);
    stop();
  });

  it("drops a key it cannot read (400) from the run's connection, and opens it again for the keys followed after", async () => {
    const base = createHttpClient({ baseUrl: "http://x", accessToken: "tok" });
    const api: DurablyHttpClient = {
      ...base,
      getRunStream: (_runId, key) =>
        key === "bad" ? Promise.reject(new DurablyApiError("INVALID_PAYLOAD", "A stream key is …", 400)) : base.getRunStream("run_1", key),
    };
    const { live } = harness(api);
    const errors: DurablyApiError[] = [];
    const stopBad = live.streams.follow(api, "run_1", "bad", (error) => errors.push(error));
    await Promise.resolve();
    FakeES.all[0]!.onerror?.(new Event("error"));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(errors.map((e) => e.status)).toEqual([400]);
    expect(FakeES.all).toHaveLength(1);
    // The failed key is still followed (its hook shows the error): the next key opens the connection anew.
    const stopGood = live.streams.follow(api, "run_1", "good", () => undefined);
    await Promise.resolve();
    expect(FakeES.all.map((es) => es.url)).toEqual([
      "http://x/api/runs/run_1/stream?streams=bad&run=0&token=tok", "http://x/api/runs/run_1/stream?streams=good&run=0&token=tok",
    ]);
    stopGood();
    stopBad();
    expect(FakeES.all[1]!.closed).toBe(true);
  });
});

describe("following a real engine's stream", () => {
  it("ends with the stream of an uninterrupted run when a failed step's chunks are superseded, read with a public token", async () => {
    let release!: () => void;
    const failing = new Promise<void>((resolve) => (release = resolve));
    const writer = task({
      id: "react-stream-writer",
      run: async (_: null, { io }) => {
        await streams.append("out", "start");
        await io.runTask("step", async ({ attempt }) => {
          await streams.append("out", `try ${attempt}`);
          if (attempt === 1) {
            await failing;
            throw new Error("fails after the browser has its chunk");
          }
        }, { retry: { maxAttempts: 2, minTimeoutInMs: 10, randomize: false } });
        await streams.append("out", "end");
      },
    });
    const engine = await startTestEngine("react_data_streams", { tasks: [writer], http: { port: 0 }, secretKey: SECRET });
    const { id } = await writer.trigger(null);
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const api = createHttpClient({ baseUrl: engine.url!, accessToken: token });
    const queryClient = new QueryClient();
    const keys = durablyKeys(api.baseUrl);
    const live = createLiveUpdates({ queryClient, api, keys, createEventSource: (url) => new FetchEventSource(url) });
    const parts = () => queryClient.getQueryData<StreamData>(keys.runStream(id, "out"))?.parts.map((p) => p.data);
    const stop = live.streams.follow(api, id, "out", () => undefined);
    await until(async () => (parts()?.includes("try 1") ? true : undefined), 10_000);
    release();
    await until(async () => (queryClient.getQueryData<StreamData>(keys.runStream(id, "out"))?.end ? true : undefined), 20_000);
    expect(parts()).toEqual(["start", "try 2", "end"]);
    stop();
  });

  it("follows the run and two of its streams on one connection, which a dropped connection resumes with no chunk or run change missed or repeated", async () => {
    const gates = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
    // The run changes nothing before the test has read what it holds: a run that wrote its first
    // phase before that left nothing newer to wait for.
    const started = Promise.withResolvers<void>();
    const phased = task({
      id: "react-shared-connection",
      run: async (_: null, { io }) => {
        await started.promise;
        for (let phase = 0; phase < 3; phase++) {
          for (let i = 0; i < 5; i++) {
            await streams.append("a", `a${phase}.${i}`);
            await streams.append("b", `b${phase}.${i}`);
          }
          await io.createStatus(`phase${phase}`, { label: `phase ${phase}`, state: "loading" });
          if (phase < 2) await gates[phase]!.promise;
        }
        return "done";
      },
    });
    const engine = await startTestEngine("react_shared_connection", { tasks: [phased], http: { port: 0 }, secretKey: SECRET });
    const subscribers = async () => {
      const text = await (await fetch(`${engine.url}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } })).text();
      return Number(/^durably_sse_subscribers (\d+)$/m.exec(text)?.[1]);
    };
    const { id } = await phased.trigger(null);
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const api = createHttpClient({ baseUrl: engine.url!, accessToken: token });
    const queryClient = new QueryClient();
    const keys = durablyKeys(api.baseUrl);
    queryClient.setQueryData(keys.run(id), await api.getRun(id));
    const held = await api.getRunJournal(id);
    queryClient.setQueryData(keys.runJournal(id), held);
    FetchEventSource.all = [];
    FetchEventSource.log = [];
    const live = createLiveUpdates({ queryClient, api, keys, createEventSource: (url) => new FetchEventSource(url) });
    const parts = (key: string) => queryClient.getQueryData<StreamData>(keys.runStream(id, key))?.parts.map((p) => p.data) ?? [];
    const open = () => FetchEventSource.all.filter((es) => !es.closed);
    const stops = [live.watchRun(id), live.streams.follow(api, id, "a", () => undefined), live.streams.follow(api, id, "b", () => undefined)];
    started.resolve();

    await until(async () => (parts("a").length === 5 && parts("b").length === 5 ? true : undefined), 20_000);
    // One connection, counted by the engine, carries the run's changes and both streams.
    await until(async () => ((await subscribers()) === 1 ? true : undefined), 10_000);
    expect(open()).toHaveLength(1);
    expect(open()[0]!.url).toMatch(/\/stream\?streams=a,b&token=/);
    await until(async () => (queryClient.getQueryData<{ revision: number }>(keys.run(id))!.revision > held.run.revision ? true : undefined), 10_000);

    // Dropped while the run goes on, and again just as it finishes.
    open()[0]!.drop();
    gates[0]!.resolve();
    await until(async () => (parts("a").length === 10 && parts("b").length === 10 ? true : undefined), 20_000);
    gates[1]!.resolve();
    open()[0]!.drop();
    await until(async () => (queryClient.getQueryData<StreamData>(keys.runStream(id, "b"))?.end && queryClient.getQueryData<StreamData>(keys.runStream(id, "a"))?.end ? true : undefined), 20_000);
    await until(async () => (queryClient.getQueryData<{ status: string }>(keys.run(id))?.status === "SUCCESS" ? true : undefined), 20_000);

    const expected = (key: string) => [0, 1, 2].flatMap((phase) => [0, 1, 2, 3, 4].map((i) => `${key}${phase}.${i}`));
    expect(parts("a")).toEqual(expected("a"));
    expect(parts("b")).toEqual(expected("b"));
    // What came over the wire: each chunk and each journal entry once, across the connections.
    const chunks = FetchEventSource.log.filter((e) => e.type === "chunk").map((e) => e.data as { key: string; index: number });
    expect(chunks.filter((c) => c.key === "a").map((c) => c.index)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(chunks.filter((c) => c.key === "b").map((c) => c.index)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const pushed = FetchEventSource.log.filter((e) => e.type === "journal").map((e) => (e.data as { entry: { revision: number } }).entry.revision);
    expect(new Set(pushed).size).toBe(pushed.length);
    const final = await api.getRunJournal(id);
    expect([...held.entries.map((e) => e.revision), ...pushed].sort((x, y) => x - y)).toEqual(final.entries.map((e) => e.revision).sort((x, y) => x - y));
    const runs = FetchEventSource.log.filter((e) => e.type === "run").map((e) => (e.data as { revision: number }).revision);
    expect(new Set(runs).size).toBe(runs.length);
    // The run's and both streams (joined together: one connection), then one after each drop.
    expect(FetchEventSource.all.length).toBe(3);
    for (const stop of stops) stop();
    await until(async () => ((await subscribers()) === 0 ? true : undefined), 10_000);
  });
});
