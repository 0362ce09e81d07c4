import { beforeEach, describe, expect, it } from "vitest";
import { createHttpClient, DurablyApiError } from "../react/client/http-client.ts";
import { newestFirst, oldestFirst, watchRun, watchRuns } from "../react/client/run-list.ts";
import type { Run } from "../react/types.ts";
import { FakeEventSource as FakeES, makeRun } from "./helpers/react.ts";
import { until } from "./helpers/until.ts";
import { auth, task } from "durably";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { FetchEventSource } from "./helpers/fetch-event-source.ts";

beforeEach(() => {
  FakeES.all = [];
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const ids = (runs: Run[]) => runs.map((r) => `${r.id}@${r.revision}`);

describe("durably/react live run lists (useRealtimeRunsWithTag, useRealtimeBatch)", () => {
  it("start from the loaded runs, keep each run at its newest revision across reconnects, and stop on unsubscribe", async () => {
    const seen: Run[][] = [];
    const stop = watchRuns({
      load: async () => [makeRun({ id: "run_a", revision: 3 }), makeRun({ id: "run_b", revision: 2 })],
      streamUrl: "/api/tags/user%3A42/stream?token=t",
      order: newestFirst,
      onChange: (runs) => seen.push(runs),
      onError: (error) => expect.fail(error.message),
      createEventSource: (url) => new FakeES(url),
    });
    await settle();
    expect(seen.map(ids)).toEqual([["run_b@2", "run_a@3"]]);
    expect(FakeES.all.map((es) => es.url)).toEqual(["/api/tags/user%3A42/stream?token=t"]);
    const first = FakeES.all[0]!;
    first.emit("run", makeRun({ id: "run_a", revision: 3 }));
    first.emit("run", makeRun({ id: "run_a", revision: 2 }));
    expect(seen.length).toBe(1);
    first.emit("run", makeRun({ id: "run_a", revision: 5, status: "SUCCESS" }));
    first.emit("run", makeRun({ id: "run_c", revision: 1 }));
    expect(seen.map(ids).slice(1)).toEqual([["run_b@2", "run_a@5"], ["run_c@1", "run_b@2", "run_a@5"]]);
    // A reconnect: the stream sends every run's snapshot again; only what is newer changes the list.
    first.onerror?.(new Event("error"));
    await until(async () => (FakeES.all[1] ? true : undefined), 5_000, 10);
    const second = FakeES.all[1]!;
    expect(second.url).toBe(first.url);
    for (const run of [makeRun({ id: "run_a", revision: 5 }), makeRun({ id: "run_b", revision: 2 }), makeRun({ id: "run_c", revision: 1 })]) second.emit("run", run);
    expect(seen.length).toBe(3);
    second.emit("run", makeRun({ id: "run_b", revision: 4 }));
    expect(seen.at(-1)!.map((r) => r.revision)).toEqual([1, 4, 5]);
    stop();
    expect(second.closed).toBe(true);
  });

  it("report a refused load (a token out of scope) and open no stream", async () => {
    const errors: DurablyApiError[] = [];
    watchRuns({
      load: async () => {
        throw new DurablyApiError("FORBIDDEN", "This token does not give access to this batch", 403);
      },
      streamUrl: "/api/batches/batch_x/stream",
      order: newestFirst,
      onChange: () => expect.fail("no runs"),
      onError: (error) => errors.push(error),
      createEventSource: (url) => new FakeES(url),
    });
    await settle();
    expect(errors.map((e) => e.code)).toEqual(["FORBIDDEN"]);
    expect(FakeES.all.length).toBe(0);
  });
});

describe("durably/react following a batch a run triggered (useRealtimeBatch)", () => {
  it("follows the children of batchTriggerAndWait by the batch id, with a token scoped to the batch, until all have finished", async () => {
    const gate = Promise.withResolvers<void>();
    const leaf = task({
      id: "react-batch-leaf",
      run: async (n: number) => {
        await gate.promise;
        return n * 10;
      },
    });
    const root = task({
      id: "react-batch-root",
      run: async () => {
        const { id, runs } = await leaf.batchTriggerAndWait([{ payload: 1 }, { payload: 2 }]);
        return { id, outputs: runs.map((r) => r.ok && r.output) };
      },
    });
    const engine = await startTestEngine("react_batch_in_run", { tasks: [leaf, root], http: { port: 0 }, secretKey: "react-batch-secret-key-0123456789" });
    const { id: rootId } = await root.trigger(null);
    // The batch id as the browser would get it from the app (the run's own code has it once its children end).
    const batchId = await until(async () => {
      const [row] = await sql<{ id: string }>(
        `SELECT b.id FROM "${engine.options.schema}".batches b JOIN "${engine.options.schema}".runs r ON r.id = b.run_ids[1] WHERE r.parent_run_id = $1`, [rootId],
      );
      return row?.id;
    }, 20_000);
    const token = await auth.createPublicToken({ scopes: { read: { batch: batchId } } });
    const api = createHttpClient({ baseUrl: engine.url!, accessToken: token });
    const seen: Run[][] = [];
    // What useRealtimeBatch(batchId, { accessToken }) runs.
    const stop = watchRuns({
      load: async (signal) => (await api.getBatch(batchId, { signal })).runs,
      streamUrl: api.streamUrl(`/api/batches/${encodeURIComponent(batchId)}/stream`),
      order: oldestFirst,
      onChange: (runs) => seen.push(runs),
      onError: (error) => expect.fail(error.message),
      createEventSource: (url) => new FetchEventSource(url),
    });
    try {
      await until(async () => (seen.at(-1)?.length === 2 ? true : undefined), 20_000);
      expect(seen.at(-1)!.every((r) => r.status !== "SUCCESS")).toBe(true);
      gate.resolve();
      await until(async () => (seen.at(-1)?.every((r) => r.status === "SUCCESS") ? true : undefined), 20_000);
      expect(seen.at(-1)!.map((r) => r.output)).toEqual([10, 20]);
      const parent = await until(async () => {
        const run = await createHttpClient({ baseUrl: engine.url!, accessToken: "react-batch-secret-key-0123456789" }).getRun(rootId);
        return run.status === "SUCCESS" ? run : undefined;
      }, 20_000);
      expect(parent.output).toEqual({ id: batchId, outputs: [10, 20] });
    } finally {
      stop();
    }
  });
});

describe("durably/react following a triggered run with its own token (useRealtimeTaskTrigger)", () => {
  it("reads the run with that token, streams from its revision, and applies pushed runs and metadata entries", async () => {
    const requests: string[] = [];
    const api = createHttpClient({
      baseUrl: "http://engine", accessToken: "run-token",
      fetch: async (input, init) => {
        requests.push(`${String(input)} ${(init?.headers as Record<string, string>).authorization}`);
        return new Response(JSON.stringify(makeRun({ id: "run_t", revision: 4, metadata: {} })), { status: 200 });
      },
    });
    const runs: Run[] = [];
    const stop = watchRun(api, "run_t", (run) => runs.push(run), (error) => expect.fail(error.message), (url) => new FakeES(url));
    await settle();
    expect(requests).toEqual(["http://engine/api/runs/run_t Bearer run-token"]);
    expect(FakeES.all[0]!.url).toBe("http://engine/api/runs/run_t/stream?token=run-token&since=4");
    FakeES.all[0]!.emit("journal", { entry: { seq: 1, revision: 5, kind: "metadata", key: "set:progress", finishedAt: "t" }, metadata: { progress: 0.5 } }, "11");
    FakeES.all[0]!.emit("run", makeRun({ id: "run_t", revision: 4 }), "9");
    FakeES.all[0]!.emit("run", makeRun({ id: "run_t", revision: 6, status: "SUCCESS", metadata: { progress: 1 } }), "13");
    expect(runs.map((r) => [r.revision, r.metadata])).toEqual([[4, {}], [5, { progress: 0.5 }], [6, { progress: 1 }]]);
    stop();
    expect(FakeES.all[0]!.closed).toBe(true);
  });

  it("opens no stream for a run that has finished already", async () => {
    const api = createHttpClient({ baseUrl: "", fetch: async () => new Response(JSON.stringify(makeRun({ status: "SUCCESS", isCompleted: true }))) });
    const runs: Run[] = [];
    watchRun(api, "run_1", (run) => runs.push(run), () => expect.fail("no error"), (url) => new FakeES(url));
    await settle();
    expect(runs.map((r) => r.status)).toEqual(["SUCCESS"]);
    expect(FakeES.all.length).toBe(0);
  });
});
