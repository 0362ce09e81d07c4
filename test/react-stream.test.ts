import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { subscribeToRunStream } from "../react/client/run-stream.ts";
import { createLiveUpdates } from "../react/client/live-updates.ts";
import { createHttpClient } from "../react/client/http-client.ts";
import { durablyKeys } from "../react/client/query-keys.ts";
import { FakeEventSource as FakeES } from "./helpers/react.ts";

beforeEach(() => { FakeES.all = []; vi.useFakeTimers(); });
afterEach(() => vi.useRealTimers());

describe("durably/react SSE subscription", () => {
  it("starts after the snapshot revision, resumes from the last event id with growing backoff, and stops on end", () => {
    const got: unknown[] = [];
    const ends: number[] = [];
    const unsub = subscribeToRunStream({
      url: (p) => `/s${p.lastEventId ? `?lastEventId=${p.lastEventId}` : p.since !== null ? `?since=${p.since}` : ""}`,
      since: 3,
      onMessage: (m) => got.push(m),
      onEnd: () => ends.push(1),
      createEventSource: (u) => new FakeES(u),
    });
    expect(FakeES.all[0]!.url).toBe("/s?since=3");
    FakeES.all[0]!.onopen?.(new Event("open"));
    FakeES.all[0]!.emit("journal", { entry: { seq: 1, revision: 4 } }, "8");
    FakeES.all[0]!.onerror?.(new Event("error"));
    expect(FakeES.all[0]!.closed).toBe(true);
    vi.advanceTimersByTime(249);
    expect(FakeES.all.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(FakeES.all[1]!.url).toBe("/s?lastEventId=8");
    FakeES.all[1]!.onerror?.(new Event("error"));
    vi.advanceTimersByTime(499);
    expect(FakeES.all.length).toBe(2);
    vi.advanceTimersByTime(1);
    FakeES.all[2]!.onerror?.(new Event("error"));
    vi.advanceTimersByTime(1000);
    expect(FakeES.all.length).toBe(4);
    FakeES.all[3]!.emit("run", { id: "run_1", revision: 9 }, "9");
    FakeES.all[3]!.emit("end", {});
    expect(FakeES.all[3]!.closed).toBe(true);
    expect(ends).toEqual([1]);
    expect(got.map((m) => (m as { type: string }).type)).toEqual(["journal", "run", "end"]);
    unsub();
    vi.advanceTimersByTime(10000);
    expect(FakeES.all.length).toBe(4);
  });

  it("shares one stream per run between hooks, applies pushed entries to the cached statuses and journal, and closes with the last hook", async () => {
    const qc = new QueryClient();
    const api = createHttpClient({ baseUrl: "http://x", accessToken: "tok" });
    const keys = durablyKeys(api.baseUrl);
    qc.setQueryData(keys.runStatuses("run_1"), { run: { id: "run_1", status: "EXECUTING", output: null, revision: 5 }, statuses: [] });
    qc.setQueryData(keys.runJournal("run_1"), { run: { id: "run_1", status: "EXECUTING", revision: 4 }, entries: [{ seq: 1, revision: 3 }] });
    const live = createLiveUpdates({ queryClient: qc, api, keys, createEventSource: (u) => new FakeES(u) });
    const a = live.watchRun("run_1");
    const b = live.watchRun("run_1");
    await Promise.resolve();
    expect(FakeES.all.length).toBe(1);
    expect(FakeES.all[0]!.url).toBe("http://x/api/runs/run_1/stream?token=tok&since=4");
    FakeES.all[0]!.emit("journal", { entry: { seq: 2, revision: 6, kind: "status" }, status: { key: "k", label: "L", state: "loading", data: null, updatedAt: "", history: [] } }, "6");
    expect((qc.getQueryData(keys.runStatuses("run_1")) as { statuses: unknown[] }).statuses.length).toBe(1);
    expect((qc.getQueryData(keys.runJournal("run_1")) as { entries: unknown[] }).entries.length).toBe(2);
    a();
    expect(FakeES.all[0]!.closed).toBe(false);
    b();
    expect(FakeES.all[0]!.closed).toBe(true);
  });
});
