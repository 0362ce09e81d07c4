// What one `metadata.set` costs a browser that follows the run: the messages on its stream, the
// engine's reads for that stream, and the requests its hooks make because of it.
import { afterEach, describe, expect, it, vi } from "vitest";
import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { auth, metadata, runs, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql, uniqueSchema } from "./helpers/db.ts";
import { partsOf } from "../engine/internal.ts";
import { until } from "./helpers/until.ts";
import { readSse, type SseMessage } from "./helpers/sse.ts";
import { FakeEventSource } from "./helpers/react.ts";
import { createHttpClient, type DurablyHttpClient } from "../react/client/http-client.ts";
import { createLiveUpdates } from "../react/client/live-updates.ts";
import { durablyKeys } from "../react/client/query-keys.ts";
import { fetchRun, fetchRunMetadataHistory } from "../react/queries.ts";
import type { DurablyContextValue } from "../react/context.ts";
import type { MetadataHistory, Run } from "../react/types.ts";

const SECRET = "test-secret-key-0123456789";

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const beforeSet = gate();
const afterSet = gate();

/** Sets one metadata key once the test follows the run, then updates a status once the test has looked. */
const setsOnce = task({
  id: "sets-metadata-once",
  run: async (_: null, { io }) => {
    await beforeSet.opened;
    await metadata.set("progress", 0.5);
    await afterSet.opened;
    await io.createStatus("after", { label: "After the set" });
    return "done";
  },
});

const kindOf = (message: SseMessage) => (JSON.parse(message.data) as { entry: { kind: string } }).entry.kind;

afterEach(() => {
  vi.useRealTimers();
});

describe("one metadata.set on a run a browser follows", () => {
  it("is one message on the run's stream and no request for the metadata history", async () => {
    const engine = await startTestEngine("metadata_push", { tasks: [setsOnce], http: { port: 0 }, secretKey: SECRET });
    const { id } = await setsOnce.trigger(null);
    await until(async () => ((await runs.retrieve(id)).status === "EXECUTING" ? true : undefined), 10_000);

    // The browser: the hooks' snapshots of the run and its metadata history, and the shared stream.
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const direct = createHttpClient({ baseUrl: engine.url!, accessToken: token });
    const requests: string[] = [];
    const api: DurablyHttpClient = {
      ...direct,
      getRun: (...args) => (requests.push("run"), direct.getRun(...args)),
      getRunStatuses: (...args) => (requests.push("statuses"), direct.getRunStatuses(...args)),
      getRunJournal: (...args) => (requests.push("journal"), direct.getRunJournal(...args)),
      getRunMetadataHistory: (...args) => (requests.push("history"), direct.getRunMetadataHistory(...args)),
    };
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const keys = durablyKeys(api.baseUrl);
    const live = createLiveUpdates({ queryClient, api, keys, createEventSource: (url) => new FakeEventSource(url) });
    const context: DurablyContextValue = { api, keys, queryClient, live };
    const observers = [
      new QueryObserver<Run>(queryClient, { queryKey: keys.run(id), queryFn: fetchRun(context, id), staleTime: 60_000 }),
      new QueryObserver<MetadataHistory>(queryClient, {
        queryKey: keys.runMetadataHistory(id),
        queryFn: fetchRunMetadataHistory(context, id),
        staleTime: 60_000,
      }),
    ];
    const unsubscribe = observers.map((observer) => observer.subscribe(() => undefined));
    await until(async () => (observers.every((o) => o.getCurrentResult().data !== undefined) ? true : undefined), 10_000);
    const stopWatching = live.watchRun(id);
    // The connection opens once the hooks that mount together have all joined: a microtask later.
    await Promise.resolve();
    const eventSource = FakeEventSource.all.at(-1)!;
    expect(requests.sort()).toEqual(["history", "run"]);
    requests.length = 0;

    // The engine's reads of the run for its streams.
    const { db, sql, channels, listener } = partsOf(engine);
    let reads = 0;
    const query = db.query.bind(db);
    db.query = ((text: string, ...rest: never[]) => {
      if (text === sql.feed.runSince) reads += 1;
      return query(text, ...rest);
    }) as typeof db.query;

    // The stream the browser opens, read until the status written after the set, which proves
    // that nothing else about the set is still on its way.
    const setSent = gate();
    const reading = readSse(eventSource.url, {
      onOpen: beforeSet.open,
      stop: (message) => {
        if (message.event === "journal" && kindOf(message) === "metadata") setSent.open();
        return message.event === "journal" && kindOf(message) === "status";
      },
    });
    await setSent.opened;
    const runAfterSet = await direct.getRun(id);
    // The set's notification, whether it came before its write's result (and started a read) or
    // not, is followed by one more: the stream has sent the run as of it, so it reads nothing.
    // A notification of another run behind it on the same connection proves it was handled.
    const readsBefore = reads;
    const handled = new Promise<void>((resolve) => {
      const off = listener.on(channels.run, (payload) => payload.startsWith("run_other:") && (off(), resolve()));
    });
    await db.query("SELECT pg_notify($1, $2), pg_notify($1, $3)", [channels.run, `${id}:${runAfterSet.revision}`, "run_other:1"]);
    await handled;
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toBe(readsBefore);
    afterSet.open();
    const { messages } = await reading;
    const forTheSet = messages.slice(0, messages.findIndex((m) => m.event === "journal" && kindOf(m) === "status"));
    expect(forTheSet.map((m) => m.event)).toEqual(["journal"]);

    // Those messages reach the browser's cache; the history would be refetched on a timer.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const setMessage = forTheSet[0]!;
    eventSource.emit(setMessage.event, JSON.parse(setMessage.data), setMessage.id);
    expect(queryClient.getQueryData<Run>(keys.run(id))).toEqual(runAfterSet);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(requests).toEqual([]);
    vi.useRealTimers();
    const history = queryClient.getQueryData<MetadataHistory>(keys.runMetadataHistory(id))!;
    expect(history.changes).toEqual((await direct.getRunMetadataHistory(id)).changes);
    expect(history.changes.at(-1)).toMatchObject({ op: "set", key: "progress", value: 0.5, metadata: { progress: 0.5 } });

    stopWatching();
    for (const off of unsubscribe) off();
    queryClient.clear();
    await runs.poll(id, { timeoutMs: 10_000 });
  });

  it("is not taken for the whole run at the run's first revision, where a fork's copied entries sit", async () => {
    const schema = uniqueSchema("metadata_fork");
    const engine = await startTestEngine("metadata_fork", { schema, tasks: [setsOnce], http: { port: 0 }, secretKey: SECRET });
    const { id } = await setsOnce.trigger(null, { delay: "1h" });
    await sql(
      `INSERT INTO ${schema}.journal (run_id, seq, kind, key, status, output, attempts, revision, started_at)
       VALUES ($1, 1, 'metadata', 'set:progress', 'completed', '{"json": {"progress": 0.5}}', 1, 1, now())`,
      [id],
    );
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream?token=${token}&since=0`, { stop: (message) => message.event === "run" });
    expect(messages.map((m) => [m.event, m.id])).toEqual([["journal", "2"], ["run", "3"]]);
  });
});
