// Every stream of a run (`useRealtimeRunWithStreams`) and its log lines on the run's one SSE
// connection (`?streams=*&logs=`), without React: the hooks are `live.streams.followAll`,
// `live.logs.follow` and `live.watchRun` while mounted. Fake EventSources check what is asked
// for; a fetch-backed one follows a real engine.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { auth, logger, streams, task } from "durably";
import { createLiveUpdates } from "../react/client/live-updates.ts";
import { createHttpClient, type DurablyApiError } from "../react/client/http-client.ts";
import { durablyKeys } from "../react/client/query-keys.ts";
import type { RunLogLine, StreamData, StreamKeys } from "../react/types.ts";
import { FetchEventSource } from "./helpers/fetch-event-source.ts";
import { FakeEventSource as FakeES, makeRun } from "./helpers/react.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const SECRET = "all-streams-react-secret-key-0123456789";
const noop = () => undefined;

function harness() {
  const api = createHttpClient({ baseUrl: "http://x", accessToken: "tok" });
  const queryClient = new QueryClient();
  const keys = durablyKeys(api.baseUrl);
  const live = createLiveUpdates({ queryClient, api, keys, createEventSource: (url) => new FakeES(url) });
  const data = (key: string) => queryClient.getQueryData<StreamData>(keys.runStream("run_1", key));
  const found = () => queryClient.getQueryData<StreamKeys>(keys.runStreamKeys("run_1"));
  return { queryClient, keys, live, api, data, found };
}
const resumeQuery = (lastEventId: string) => new URLSearchParams({ lastEventId }).toString();
const line = (id: string): RunLogLine => ({ id, seq: 1, attempt: 0, level: "info", message: `line ${id}`, fields: null, at: "2026-01-01T00:00:00.000Z" });

describe("following every stream and the log lines of a run (fake EventSource)", () => {
  beforeEach(() => {
    FakeES.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("carries every stream on the run's connection: new streams and streams followed by name need no reopen, a drop resumes each from a keyed id, and the end ends them all", async () => {
    const { live, api, data, found, queryClient, keys } = harness();
    queryClient.setQueryData(keys.run("run_1"), makeRun({ revision: 5 }));
    const watch = live.watchRun("run_1");
    const stopAll = live.streams.followAll(api, "run_1", noop);
    await Promise.resolve();
    expect(FakeES.all.map((es) => es.url)).toEqual(["http://x/api/runs/run_1/stream?streams=*&token=tok&since=5"]);
    const es = FakeES.all[0]!;
    es.onopen?.(new Event("open"));
    es.emit("stream", { key: "ai" }, "11");
    es.emit("chunk", { key: "ai", index: 1, data: "a" }, "11~ai=0.1");
    es.emit("stream", { key: "rows" }, "11~ai=0.1");
    es.emit("chunk", { key: "rows", index: 1, data: { n: 1 } }, "11~ai=0.1~rows=0.1");
    es.emit("run", makeRun({ revision: 6 }), "13~ai=0.1~rows=0.1");

    // Hooks following streams by name ride on it, one the run has not written yet included.
    const stopNamed = live.streams.follow(api, "run_1", "ai", noop);
    const stopUnwritten = live.streams.follow(api, "run_1", "never", noop);
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(1);
    // A stream the run starts later is announced on the same connection.
    es.emit("stream", { key: "third" }, "13~ai=0.1~rows=0.1");
    es.emit("chunk", { key: "third", index: 1, data: "t" }, "13~ai=0.1~rows=0.1~third=0.1");
    es.emit("reset", { key: "ai", fromIndex: 1, resets: 1 }, "13~ai=1.0~rows=0.1~third=0.1");
    es.emit("chunk", { key: "ai", index: 2, data: "A" }, "13~ai=1.2~rows=0.1~third=0.1");
    expect(found()).toEqual({ keys: ["ai", "rows", "third"], end: false });
    expect(data("ai")?.parts).toEqual([{ index: 2, data: "A" }]);
    expect(data("third")?.parts).toEqual([{ index: 1, data: "t" }]);
    expect(FakeES.all).toHaveLength(1);

    // Dropped: every stream resumes after what its cache holds, the run after its last id.
    es.onerror?.(new Event("error"));
    vi.advanceTimersByTime(250);
    const again = FakeES.all[1]!;
    expect(again.url).toBe(`http://x/api/runs/run_1/stream?streams=*&token=tok&${resumeQuery("13~ai=1.2~rows=0.1~third=0.1")}`);
    again.emit("chunk", { key: "ai", index: 2, data: "A" }, "13~ai=1.2~rows=0.1~third=0.1");
    again.emit("chunk", { key: "rows", index: 2, data: { n: 2 } }, "13~ai=1.2~rows=0.2~third=0.1");
    expect(data("ai")?.parts.map((p) => p.data)).toEqual(["A"]);
    expect(data("rows")?.parts.map((p) => p.data)).toEqual([{ n: 1 }, { n: 2 }]);
    // The run's hooks see it finished and leave: the connection stays as it is for its end.
    again.emit("run", makeRun({ revision: 7, status: "SUCCESS" }), "15~ai=1.2~rows=0.2~third=0.1");
    watch();
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(2);
    expect(again.closed).toBe(false);
    for (const key of ["ai", "rows", "third"]) again.emit("stream-end", { runId: "run_1", key, status: "SUCCESS", lastIndex: 2 }, "15~ai=1.2~rows=0.2~third=0.1");
    again.emit("end", { id: "run_1", status: "SUCCESS" });
    expect(again.closed).toBe(true);
    expect(found()?.end).toBe(true);
    // A stream followed by name that the run never wrote has ended too.
    expect(data("never")?.end).toEqual({ runId: "run_1", key: "never", status: "SUCCESS", lastIndex: 0 });
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(2);
    for (const stop of [stopAll, stopNamed, stopUnwritten]) stop();
  });

  it("holds the streams the connection leaves out past the 32 it carries, as the engine names them (stream-limit), and asks for one a hook follows beside *", async () => {
    const { live, api, found, data } = harness();
    const stop = live.streams.followAll(api, "run_1", noop);
    const stopNamed = live.streams.follow(api, "run_1", "s33", noop);
    await Promise.resolve();
    expect(FakeES.all.map((es) => new URL(es.url).searchParams.get("streams"))).toEqual(["*"]);
    const es = FakeES.all[0]!;
    es.onopen?.(new Event("open"));
    es.emit("stream", { key: "s00" }, "~");
    es.emit("chunk", { key: "s00", index: 1, data: 0 }, "~s00=0.1");
    expect(found()?.leftOut).toBeUndefined();
    es.emit("stream-limit", { limit: 32, streams: 34, leftOut: ["s32", "s33"] }, "~s00=0.1");
    expect(found()).toMatchObject({ keys: ["s00"], leftOut: 2, leftOutKeys: ["s32", "s33"] });
    // s33, followed by name, is left out: the connection is opened again with it named beside *.
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(2);
    const again = FakeES.all[1]!;
    expect(new URL(again.url).searchParams.get("streams")).toBe("*,s33");
    expect(new URL(again.url).searchParams.get("lastEventId")).toBe("~s00=0.1");
    again.emit("stream", { key: "s00" }, "~s00=0.1");
    again.emit("chunk", { key: "s33", index: 1, data: 33 }, "~s00=0.1~s33=0.1");
    again.emit("stream-limit", { limit: 32, streams: 40, leftOut: ["s34"] }, "~s00=0.1~s33=0.1");
    expect(data("s33")?.parts).toEqual([{ index: 1, data: 33 }]);
    // A stream named beside * is not one of its keys.
    expect(found()).toMatchObject({ keys: ["s00"], leftOut: 8, leftOutKeys: ["s32", "s33", "s34"] });
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(2);
    stopNamed();
    stop();
  });

  it("asks beside * for a stream a hook follows that the engine left out without naming it (past the 100 it names), not for one it announced", async () => {
    const { live, api } = harness();
    const stop = live.streams.followAll(api, "run_1", noop);
    await Promise.resolve();
    const es = FakeES.all[0]!;
    es.onopen?.(new Event("open"));
    es.emit("stream", { key: "s00" }, "~");
    const named = Array.from({ length: 100 }, (_, i) => `s${i + 32}`);
    es.emit("stream-limit", { limit: 32, streams: 200, leftOut: named }, "~");
    const stopAnnounced = live.streams.follow(api, "run_1", "s00", noop);
    const stopUnnamed = live.streams.follow(api, "run_1", "s150", noop);
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(2);
    expect(new URL(FakeES.all[1]!.url).searchParams.get("streams")).toBe("*,s150");
    stopUnnamed();
    stopAnnounced();
    stop();
  });

  it("carries log lines on the run's connection: each follower gets each line after its cursor once, and one lacking lines already sent has it start again from its cursor", async () => {
    const { live, api, queryClient, keys } = harness();
    queryClient.setQueryData(keys.run("run_1"), makeRun({ revision: 5 }));
    const watch = live.watchRun("run_1");
    const got: Record<string, string[]> = { a: [], b: [], c: [], d: [] };
    const follower = (name: string, after: string) => live.logs.follow(api, "run_1", { after, onLine: (l) => got[name]!.push(l.id) });
    const stopA = follower("a", "3");
    await Promise.resolve();
    expect(FakeES.all.map((es) => es.url)).toEqual(["http://x/api/runs/run_1/stream?logs=3&token=tok&since=5"]);
    const es = FakeES.all[0]!;
    es.emit("run", makeRun({ revision: 6 }), "13");
    es.emit("log", line("4"));
    es.emit("log", line("5"));
    // B holds the lines up to 7: nothing sent so far is missing to it.
    const stopB = follower("b", "7");
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(1);
    es.emit("log", line("6"));
    es.emit("log", line("8"));
    expect(got).toEqual({ a: ["4", "5", "6", "8"], b: ["8"], c: [], d: [] });

    // C holds none: the connection starts again from the first line, the run after its last id.
    const stopC = follower("c", "0");
    await Promise.resolve();
    const again = FakeES.all[1]!;
    expect(again.url).toBe("http://x/api/runs/run_1/stream?logs=0&token=tok&lastEventId=13");
    again.onopen?.(new Event("open"));
    for (const id of ["4", "5", "6", "8", "9"]) again.emit("log", line(id));
    expect(got).toEqual({ a: ["4", "5", "6", "8", "9"], b: ["8", "9"], c: ["4", "5", "6", "8", "9"], d: [] });
    // Dropped: it resumes after the last line every follower holds.
    again.onerror?.(new Event("error"));
    vi.advanceTimersByTime(250);
    expect(FakeES.all[2]!.url).toBe("http://x/api/runs/run_1/stream?logs=9&token=tok&lastEventId=13");
    // No log follower left while the run goes on: the run's changes alone.
    for (const stop of [stopA, stopB, stopC]) stop();
    await Promise.resolve();
    expect(FakeES.all[3]!.url).toBe("http://x/api/runs/run_1/stream?token=tok&lastEventId=13");
    // Once the connection sent the run finished, a log follower leaving (its view saw the final
    // status) leaves it as it is for its end; the last follower leaving closes it.
    const stopD = follower("d", "9");
    await Promise.resolve();
    const last = FakeES.all[4]!;
    expect(last.url).toBe("http://x/api/runs/run_1/stream?logs=9&token=tok&lastEventId=13");
    last.onopen?.(new Event("open"));
    last.emit("run", makeRun({ revision: 7, status: "SUCCESS" }), "15");
    stopD();
    await Promise.resolve();
    expect(FakeES.all).toHaveLength(5);
    expect(last.closed).toBe(false);
    watch();
    expect(last.closed).toBe(true);
  });
});

describe("following every stream of a real engine's run", () => {
  it("brings the streams a run starts over time and its log lines on one connection, opened once, which the engine counts as one subscriber", async () => {
    const gates = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
    const growing = task({
      id: "react-all-streams",
      run: async (_: null, { io }) => {
        for (let phase = 0; phase < 3; phase++) {
          logger.info(`phase ${phase}`);
          for (let i = 0; i < 3; i++) await streams.append(`s${phase}`, `${phase}.${i}`);
          if (phase > 0) await streams.append("s0", `more ${phase}`);
          await io.createStatus(`phase${phase}`, { label: `phase ${phase}`, state: "loading" });
          if (phase < 2) await gates[phase]!.promise;
        }
        return "done";
      },
    });
    const engine = await startTestEngine("react_all_streams", { tasks: [growing], http: { port: 0 }, secretKey: SECRET });
    const subscribers = async () => {
      const text = await (await fetch(`${engine.url}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } })).text();
      return Number(/^durably_sse_subscribers (\d+)$/m.exec(text)?.[1]);
    };
    const { id } = await growing.trigger(null);
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const api = createHttpClient({ baseUrl: engine.url!, accessToken: token });
    const queryClient = new QueryClient();
    const keys = durablyKeys(api.baseUrl);
    queryClient.setQueryData(keys.run(id), await api.getRun(id));
    FetchEventSource.all = [];
    const live = createLiveUpdates({ queryClient, api, keys, createEventSource: (url) => new FetchEventSource(url) });
    const parts = (key: string) => queryClient.getQueryData<StreamData>(keys.runStream(id, key))?.parts.map((p) => p.data) ?? [];
    const found = () => queryClient.getQueryData<StreamKeys>(keys.runStreamKeys(id));
    const lines: string[] = [];
    let linesEnded = false;
    // What a run page mounts: the run, every stream, the log lines.
    const stops = [
      live.watchRun(id),
      live.streams.followAll(api, id, noop),
      live.logs.follow(api, id, { after: "0", onLine: (l) => lines.push(l.message), onEnd: () => (linesEnded = true) }),
    ];

    await until(async () => (parts("s0").length === 3 && lines.length === 1 ? true : undefined), 20_000);
    await until(async () => ((await subscribers()) === 1 ? true : undefined), 10_000);
    expect(FetchEventSource.all).toHaveLength(1);
    expect(FetchEventSource.all[0]!.url).toMatch(/\/stream\?streams=\*&logs=0&token=/);
    gates[0]!.resolve();
    await until(async () => (parts("s1").length === 3 && lines.length === 2 ? true : undefined), 20_000);
    expect(await subscribers()).toBe(1);
    gates[1]!.resolve();
    await until(async () => (found()?.end && linesEnded ? true : undefined), 20_000);

    expect(found()?.keys).toEqual(["s0", "s1", "s2"]);
    expect(parts("s0")).toEqual(["0.0", "0.1", "0.2", "more 1", "more 2"]);
    expect(parts("s1")).toEqual(["1.0", "1.1", "1.2"]);
    expect(parts("s2")).toEqual(["2.0", "2.1", "2.2"]);
    expect(lines).toEqual(["phase 0", "phase 1", "phase 2"]);
    expect(queryClient.getQueryData<{ status: string }>(keys.run(id))?.status).toBe("SUCCESS");
    // Three streams started over time, and still the one connection.
    expect(FetchEventSource.all).toHaveLength(1);
    for (const stop of stops) stop();
    await until(async () => ((await subscribers()) === 0 ? true : undefined), 10_000);
  });
});

describe("a stream past the 32 a connection carrying every stream carries", () => {
  it("comes to a hook following it by name on the run's connection, beside every stream", async () => {
    const gate = Promise.withResolvers<void>();
    const many = task({
      id: "react-all-streams-many",
      run: async () => {
        for (let i = 0; i < 34; i++) await streams.append(`s${String(i).padStart(2, "0")}`, i);
        await gate.promise;
        await streams.append("s33", "more");
        return "done";
      },
    });
    const engine = await startTestEngine("react_all_streams_many", { tasks: [many], http: { port: 0 }, secretKey: SECRET });
    const { id } = await many.trigger(null);
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const api = createHttpClient({ baseUrl: engine.url!, accessToken: token });
    const queryClient = new QueryClient();
    const keys = durablyKeys(api.baseUrl);
    FetchEventSource.all = [];
    const live = createLiveUpdates({ queryClient, api, keys, createEventSource: (url) => new FetchEventSource(url) });
    const parts = (key: string) => queryClient.getQueryData<StreamData>(keys.runStream(id, key))?.parts.map((p) => p.data) ?? [];
    const found = () => queryClient.getQueryData<StreamKeys>(keys.runStreamKeys(id));
    // A run page's every stream, and a hook on the 34th stream.
    const stops = [live.streams.followAll(api, id, noop), live.streams.follow(api, id, "s33", noop)];
    await until(async () => (parts("s33").length === 1 ? true : undefined), 20_000);
    expect(parts("s33")).toEqual([33]);
    gate.resolve();
    await until(async () => (found()?.end ? true : undefined), 20_000);
    expect(parts("s33")).toEqual([33, "more"]);
    expect(found()?.keys).toHaveLength(32);
    expect(found()).toMatchObject({ leftOut: 2, leftOutKeys: ["s32", "s33"] });
    expect(new URL(FetchEventSource.all.at(-1)!.url).searchParams.get("streams")).toBe("*,s33");
    for (const stop of stops) stop();
  });
});

describe("a stream key the engine refuses", () => {
  it("gives a hook the engine's own 400 when every stream rides on the run's connection, as on a connection of its own", async () => {
    const quiet = task({ id: "react-all-streams-bad-key", run: async () => "done" });
    const engine = await startTestEngine("react_all_streams_bad_key", { tasks: [quiet], http: { port: 0 }, secretKey: SECRET });
    const { id } = await quiet.trigger(null);
    const api = createHttpClient({ baseUrl: engine.url!, accessToken: SECRET });
    const fromEngine = await api.getRunStream(id, "bad key!", { after: 0, limit: 1 }).then(() => null, (error: DurablyApiError) => error);
    expect(fromEngine).toMatchObject({ code: "INVALID_PAYLOAD", status: 400 });
    const queryClient = new QueryClient();
    const keys = durablyKeys(api.baseUrl);
    FetchEventSource.all = [];
    const live = createLiveUpdates({ queryClient, api, keys, createEventSource: (url) => new FetchEventSource(url) });
    const errors: DurablyApiError[] = [];
    const stops = [live.streams.followAll(api, id, noop), live.streams.follow(api, id, "bad key!", (error) => errors.push(error))];
    await until(async () => (errors.length === 1 ? true : undefined), 10_000);
    expect({ code: errors[0]!.code, status: errors[0]!.status, message: errors[0]!.message }).toEqual({
      code: fromEngine!.code, status: fromEngine!.status, message: fromEngine!.message,
    });
    // The connection carries every stream, and nothing under the bad key.
    expect(FetchEventSource.all.map((es) => new URL(es.url).searchParams.get("streams"))).toEqual(["*"]);
    for (const stop of stops) stop();
  });
});
