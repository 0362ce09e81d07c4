// useRealtimeStream / useRealtimeRunWithStreams without React: what the hooks do is a QueryObserver
// on the stream's cache entry and `live.streams.follow` while mounted. Fake EventSources force
// reconnects and shared connections; a fetch-backed one follows a real engine through a reset.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { auth, streams, task } from "durably";
import { createLiveUpdates } from "../react/client/live-updates.ts";
import { createHttpClient, DurablyApiError, type DurablyHttpClient } from "../react/client/http-client.ts";
import { durablyKeys } from "../react/client/query-keys.ts";
import type { EventSourceLike } from "../react/client/run-stream.ts";
import type { StreamData } from "../react/types.ts";
import { FakeEventSource as FakeES } from "./helpers/react.ts";
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

  it("shares one connection per stream, folds chunks and resets, resumes after the last event, and closes with the last follower", () => {
    const { live, api, data } = harness();
    const stopA = live.streams.follow(api, "run_1", "ai", () => undefined);
    const stopB = live.streams.follow(api, "run_1", "ai", () => undefined);
    const other = live.streams.follow(api, "run_1", "logs", () => undefined);
    expect(FakeES.all.map((es) => es.url)).toEqual(["http://x/api/runs/run_1/streams/ai/stream?token=tok", "http://x/api/runs/run_1/streams/logs/stream?token=tok"]);
    const es = FakeES.all[0]!;
    es.onopen?.(new Event("open"));
    es.emit("chunk", { index: 1, data: "a" }, "0.1");
    es.emit("chunk", { index: 2, data: "b" }, "0.2");
    es.emit("chunk", { index: 3, data: "c" }, "0.3");
    // A replay superseded chunks 2 and 3: they go, the live ones follow.
    es.emit("reset", { fromIndex: 2, resets: 1 }, "1.1");
    es.emit("chunk", { index: 4, data: "B" }, "1.4");
    expect(data("run_1", "ai")?.parts).toEqual([{ index: 1, data: "a" }, { index: 4, data: "B" }]);

    es.onerror?.(new Event("error"));
    vi.advanceTimersByTime(250);
    const again = FakeES.all[2]!;
    expect(again.url).toBe("http://x/api/runs/run_1/streams/ai/stream?token=tok&lastEventId=1.4");
    // A chunk re-sent after the reconnect is not taken twice.
    again.emit("chunk", { index: 4, data: "B" }, "1.4");
    again.emit("chunk", { index: 5, data: "C" }, "1.5");
    expect(data("run_1", "ai")?.parts.map((p) => p.data)).toEqual(["a", "B", "C"]);

    stopA();
    expect(again.closed).toBe(false);
    stopB();
    expect(again.closed).toBe(true);
    // Followed again later: it resumes after what the cache holds.
    const stopC = live.streams.follow(api, "run_1", "ai", () => undefined);
    const resumed = FakeES.all[3]!;
    expect(resumed.url).toBe("http://x/api/runs/run_1/streams/ai/stream?token=tok&lastEventId=1.5");
    resumed.emit("end", { runId: "run_1", key: "ai", status: "SUCCESS", lastIndex: 5 });
    expect(resumed.closed).toBe(true);
    expect(data("run_1", "ai")?.end).toEqual({ runId: "run_1", key: "ai", status: "SUCCESS", lastIndex: 5 });
    stopC();
    // A finished stream is not opened again.
    live.streams.follow(api, "run_1", "ai", () => undefined)();
    expect(FakeES.all).toHaveLength(4);
    other();
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
    FakeES.all[0]!.onerror?.(new Event("error"));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(errors.map((e) => e.status)).toEqual([403]);
    expect(FakeES.all).toHaveLength(1);
    stop();
  });
});

/** An EventSource over fetch, for Node: the hooks' follower reads a real engine through it. */
class FetchEventSource implements EventSourceLike {
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly #listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  readonly #abort = new AbortController();
  constructor(url: string) {
    void this.#read(url).catch(() => this.#abort.signal.aborted || this.onerror?.(new Event("error")));
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  close() {
    this.#abort.abort();
  }
  async #read(url: string) {
    const response = await fetch(url, { headers: { accept: "text/event-stream" }, signal: this.#abort.signal });
    if (!response.ok || !response.body) throw new Error(String(response.status));
    this.onopen?.(new Event("open"));
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const fields = new Map<string, string>();
        for (const line of buffer.slice(0, end).split("\n")) if (line && !line.startsWith(":")) fields.set(line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2));
        buffer = buffer.slice(end + 2);
        const event = { data: fields.get("data") ?? "", lastEventId: fields.get("id") ?? "" } as MessageEvent<string>;
        if (fields.has("data")) for (const listener of this.#listeners.get(fields.get("event") ?? "message") ?? []) listener(event);
      }
    }
  }
}

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
});
