// Interleavings of snapshot fetches and the shared run stream that used to leave a view wrong,
// forced with a fake EventSource and held fetches. Each "hook" here is what the real hook does
// without React: a QueryObserver on the same key with the same fetch function, and
// `live.watchRun` while its snapshot says the run is unfinished (useLiveRun).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { QueryClient, QueryObserver, type QueryKey } from "@tanstack/react-query";
import { createLiveUpdates, type LiveUpdates } from "../react/client/live-updates.ts";
import { createHttpClient, type DurablyHttpClient } from "../react/client/http-client.ts";
import { durablyKeys } from "../react/client/query-keys.ts";
import { fetchRun, fetchRunJournal, fetchRunMetadataHistory, fetchRunStatuses } from "../react/queries.ts";
import type { DurablyContextValue } from "../react/context.ts";
import { isFinalRunStatus, type MetadataChange, type MetadataHistory, type Run, type RunJournal, type RunStatus, type RunStatusesSnapshot } from "../react/types.ts";
import { FakeEventSource as FakeES, makeEntry, makeRun } from "./helpers/react.ts";

const RUN_ID = "run_1";

const head = (status: RunStatus, revision: number) => ({ id: RUN_ID, status, revision });

/** A promise the test resolves when it chooses: a response held on the wire. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

interface Harness {
  qc: QueryClient;
  live: LiveUpdates;
  context: DurablyContextValue;
  keys: ReturnType<typeof durablyKeys>;
  /** The next answer of each GET, queued by the test. */
  answers: Record<"run" | "statuses" | "journal" | "history", Promise<unknown>[]>;
  mounted: (() => void)[];
}

function harness(): Harness {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const real = createHttpClient({ baseUrl: "http://x", accessToken: "tok" });
  const answers: Harness["answers"] = { run: [], statuses: [], journal: [], history: [] };
  const next = (kind: keyof Harness["answers"]) => {
    const answer = answers[kind].shift();
    if (!answer) throw new Error(`no answer queued for ${kind}`);
    return answer;
  };
  const api: DurablyHttpClient = {
    ...real,
    getRun: () => next("run") as Promise<Run>,
    getRunStatuses: () => next("statuses") as Promise<RunStatusesSnapshot>,
    getRunJournal: () => next("journal") as Promise<RunJournal>,
    getRunMetadataHistory: () => next("history") as Promise<MetadataHistory>,
  };
  const keys = durablyKeys(api.baseUrl);
  const live = createLiveUpdates({ queryClient: qc, api, keys, createEventSource: (u) => new FakeES(u) });
  const context: DurablyContextValue = { api, keys, queryClient: qc, live };
  return { qc, live, context, keys, answers, mounted: [] };
}

/** What useRealtimeRun / useRunStatuses / useRunJournal / useRunMetadataHistory do, minus React. */
function mount<T>(h: Harness, queryKey: QueryKey, queryFn: (ctx: never) => Promise<T>, statusOf: (data: T) => RunStatus): void {
  const observer = new QueryObserver<T>(h.qc, { queryKey, queryFn: queryFn as never, staleTime: 5_000 });
  let release: (() => void) | null = null;
  const follow = () => {
    const data = observer.getCurrentResult().data;
    const watching = data !== undefined && !isFinalRunStatus(statusOf(data));
    if (watching && !release) release = h.live.watchRun(RUN_ID);
    if (!watching && release) {
      release();
      release = null;
    }
  };
  const unsubscribe = observer.subscribe(follow);
  follow();
  h.mounted.push(() => {
    unsubscribe();
    release?.();
  });
}

const mountRun = (h: Harness) => mount<Run>(h, h.keys.run(RUN_ID), fetchRun(h.context, RUN_ID), (r) => r.status);
const mountStatuses = (h: Harness) =>
  mount<RunStatusesSnapshot>(h, h.keys.runStatuses(RUN_ID), fetchRunStatuses(h.context, RUN_ID), (s) => s.run.status);
const mountJournal = (h: Harness) => mount<RunJournal>(h, h.keys.runJournal(RUN_ID), fetchRunJournal(h.context, RUN_ID), (j) => j.run.status);
const mountHistory = (h: Harness) =>
  mount<MetadataHistory>(h, h.keys.runMetadataHistory(RUN_ID), fetchRunMetadataHistory(h.context, RUN_ID), (m) => m.run.status);

let current: Harness | null = null;
beforeEach(() => {
  FakeES.all = [];
});
afterEach(() => {
  vi.useRealTimers();
  for (const unmount of current?.mounted ?? []) unmount();
  current?.qc.clear();
  current = null;
});

describe("a run's shared stream and the snapshots of its hooks", () => {
  it("follows a run retried while the metadata history still holds the watch of the stream that ended", async () => {
    const h = (current = harness());
    // The run page mounts with the run executing at revision 4; the stream opens once all four landed.
    h.answers.run.push(Promise.resolve(makeRun({ revision: 4 })));
    h.answers.statuses.push(Promise.resolve({ run: { ...head("EXECUTING", 4), output: null }, statuses: [] }));
    h.answers.journal.push(Promise.resolve({ run: head("EXECUTING", 4), entries: [makeEntry({ revision: 2 })] }));
    h.answers.history.push(Promise.resolve({ run: head("EXECUTING", 4), changes: [] }));
    mountRun(h);
    mountStatuses(h);
    mountJournal(h);
    mountHistory(h);
    await flush();
    expect(FakeES.all).toHaveLength(1);
    const first = FakeES.all[0]!;
    expect(first.url).toContain("since=4");

    // The run fails: its final state, then `end`. The stream's onEnd refetches the run's snapshots;
    // the metadata history's answer is still on the wire (slow, or being retried after an error).
    const history = deferred<MetadataHistory>();
    h.answers.run.push(Promise.resolve(makeRun({ status: "FAILURE", revision: 5, isCompleted: true })));
    h.answers.statuses.push(Promise.resolve({ run: { ...head("FAILURE", 5), output: null }, statuses: [] }));
    h.answers.journal.push(Promise.resolve({ run: head("FAILURE", 5), entries: [makeEntry({ revision: 2 })] }));
    h.answers.history.push(history.promise);
    first.emit("run", makeRun({ status: "FAILURE", revision: 5, isCompleted: true }), "11");
    first.emit("end", { id: RUN_ID, status: "FAILURE" });
    await flush();
    expect(first.closed).toBe(true);

    // Retry (useRetryRun invalidates the run's scope): the refetched snapshots say QUEUED at 6,
    // and the history's held answer is cancelled for a new fetch, that lands QUEUED as well.
    h.answers.run.push(Promise.resolve(makeRun({ status: "QUEUED", revision: 6 })));
    h.answers.statuses.push(Promise.resolve({ run: { ...head("QUEUED", 6), output: null }, statuses: [] }));
    h.answers.journal.push(Promise.resolve({ run: head("QUEUED", 6), entries: [makeEntry({ revision: 2 })] }));
    h.answers.history.push(Promise.resolve({ run: head("QUEUED", 6), changes: [] }));
    await h.qc.invalidateQueries({ queryKey: h.keys.runScope(RUN_ID) });
    await flush();
    expect(h.qc.getQueryData<Run>(h.keys.run(RUN_ID))?.status).toBe("QUEUED");

    // The retried run is unfinished and watched by every hook: something must be streaming it.
    const open = FakeES.all.filter((es) => !es.closed);
    expect(open).toHaveLength(1);
  });

  it("appends pushed metadata changes to the history, never past one it could not take, and no slow read takes one back", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const tick = () => vi.advanceTimersByTimeAsync(0);
    const h = (current = harness());
    h.answers.history.push(Promise.resolve({ run: head("EXECUTING", 4), changes: [] }));
    mountHistory(h);
    await tick();
    const es = FakeES.all[0]!;
    const history = () => h.qc.getQueryData<MetadataHistory>(h.keys.runMetadataHistory(RUN_ID))!;
    const change = (seq: number, op: MetadataChange["op"], key: string, value: number, metadata: MetadataChange["metadata"]) =>
      ({ seq, op, key, value, metadata, at: "2025-01-01T00:00:02.000Z" }) satisfies MetadataChange;
    const pushChange = async ({ seq, op, key, metadata }: MetadataChange, revision: number) => {
      es.emit("journal", { entry: makeEntry({ seq, kind: "metadata", key: `${op}:${key}`, output: metadata, revision }), metadata }, String(revision * 2 + 1));
      await tick();
    };

    // An increment carries no value: the history waits for a read, and the set after it is not
    // appended to a history that lacks the increment.
    const increment = change(1, "increment", "n", 1, { n: 1 });
    const set = change(2, "set", "label", 7, { n: 1, label: 7 });
    await pushChange(increment, 5);
    await pushChange(set, 6);
    expect(history()).toEqual({ run: head("EXECUTING", 4), changes: [] });
    h.answers.history.push(Promise.resolve({ run: head("EXECUTING", 6), changes: [increment, set] }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(history().changes).toEqual([increment, set]);

    // Once read again, a set is appended as pushed, and a read answered before it does not undo it.
    const slow = deferred<MetadataHistory>();
    h.answers.history.push(slow.promise);
    void h.qc.invalidateQueries({ queryKey: h.keys.runMetadataHistory(RUN_ID) });
    await tick();
    const again = change(3, "set", "label", 8, { n: 1, label: 8 });
    await pushChange(again, 7);
    slow.resolve({ run: head("EXECUTING", 6), changes: [increment, set] });
    await tick();
    expect(history()).toEqual({ run: head("EXECUTING", 7), changes: [increment, set, again] });
    vi.useRealTimers();
  });

  it("gives a hook that mounts while the stream runs the entries pushed during its first fetch", async () => {
    const h = (current = harness());
    // The engine's side of the run stream: every event it sent, by id (2R journal, 2R+1 run); a
    // connection gets the events after its resume point, then each new one (engine/http/run-stream.ts).
    const sent: { type: string; data: unknown; id: number }[] = [];
    const startOf = (es: FakeES) => {
      const url = new URL(es.url);
      const last = url.searchParams.get("lastEventId");
      const since = url.searchParams.get("since");
      return last !== null ? Number(last) : since !== null ? Number(since) * 2 + 1 : 0;
    };
    const delivered = new Map<FakeES, number>();
    const pump = () => {
      for (const es of FakeES.all) {
        if (es.closed) continue;
        let at = delivered.get(es) ?? startOf(es);
        for (const event of sent) {
          if (event.id <= at) continue;
          es.emit(event.type, event.data, String(event.id));
          at = event.id;
        }
        delivered.set(es, at);
      }
    };
    const push = async (type: string, data: unknown, id: number) => {
      sent.push({ type, data, id });
      pump();
      await flush();
    };

    // useRealtimeRun alone (a header, say): the stream opens after its snapshot, at revision 3.
    h.answers.run.push(Promise.resolve(makeRun({ revision: 3 })));
    mountRun(h);
    await flush();
    expect(FakeES.all).toHaveLength(1);
    expect(FakeES.all[0]!.url).toContain("since=3");

    // Later a journal panel opens: the engine reads the journal at revision 4 …
    const journal = deferred<RunJournal>();
    h.answers.journal.push(journal.promise);
    mountJournal(h);
    await flush();
    // … and while that answer travels, the step written at revision 5 is pushed.
    await push("journal", { entry: makeEntry({ seq: 2, key: "second", revision: 5 }) }, 10);
    await push("run", makeRun({ revision: 5 }), 11);
    journal.resolve({ run: head("EXECUTING", 4), entries: [makeEntry({ seq: 1, key: "first", revision: 4 })] });
    await flush();
    pump();
    await flush();
    // The run goes on: the next step is pushed and lands in the journal.
    await push("journal", { entry: makeEntry({ seq: 3, key: "third", revision: 6 }) }, 12);
    await push("run", makeRun({ revision: 6 }), 13);

    const entries = h.qc.getQueryData<RunJournal>(h.keys.runJournal(RUN_ID))!.entries;
    expect(entries.map((e) => e.key)).toEqual(["first", "second", "third"]);
  });

  it("keeps a run pushed while a refetch of it was on its way over that refetch's older answer", async () => {
    const h = (current = harness());
    h.answers.run.push(Promise.resolve(makeRun({ revision: 4 })));
    mountRun(h);
    await flush();
    const es = FakeES.all[0]!;

    // A refetch reads the run at revision 4; while its answer travels the run starts waiting (5).
    const slow = deferred<Run>();
    h.answers.run.push(slow.promise);
    void h.qc.invalidateQueries({ queryKey: h.keys.run(RUN_ID), exact: true });
    await flush();
    es.emit("run", makeRun({ status: "WAITING", revision: 5 }), "11");
    slow.resolve(makeRun({ revision: 4 }));
    await flush();

    const run = h.qc.getQueryData<Run>(h.keys.run(RUN_ID))!;
    expect({ status: run.status, revision: run.revision }).toEqual({ status: "WAITING", revision: 5 });
  });

  it("keeps a status pushed while a refetch of the statuses was on its way over that refetch's older answer", async () => {
    const h = (current = harness());
    h.answers.statuses.push(Promise.resolve({ run: { ...head("EXECUTING", 4), output: null }, statuses: [] }));
    mountStatuses(h);
    await flush();
    const es = FakeES.all[0]!;

    // A refetch reads the statuses at revision 4; while its answer travels a status is set (5).
    const slow = deferred<RunStatusesSnapshot>();
    h.answers.statuses.push(slow.promise);
    void h.qc.invalidateQueries({ queryKey: h.keys.runStatuses(RUN_ID), exact: true });
    await flush();
    const status = { key: "render", label: "Rendering", state: "loading" as const, data: null, updatedAt: "2025-01-01T00:00:02.000Z" };
    es.emit("journal", { entry: makeEntry({ seq: 2, key: "render", revision: 5 }), status }, "10");
    slow.resolve({ run: { ...head("EXECUTING", 4), output: null }, statuses: [] });
    await flush();

    const snapshot = h.qc.getQueryData<RunStatusesSnapshot>(h.keys.runStatuses(RUN_ID))!;
    expect(snapshot.run.revision).toBe(5);
    expect(snapshot.statuses.map((s) => [s.key, s.state])).toEqual([["render", "loading"]]);
  });

  it("keeps a journal entry pushed while a refetch of the journal was on its way over that refetch's older answer", async () => {
    const h = (current = harness());
    const first = makeEntry({ seq: 1, key: "first", revision: 3 });
    h.answers.journal.push(Promise.resolve({ run: head("EXECUTING", 4), entries: [first] }));
    mountJournal(h);
    await flush();
    const es = FakeES.all[0]!;

    // A refetch reads the journal at revision 4; while its answer travels the next step is written (5).
    const slow = deferred<RunJournal>();
    h.answers.journal.push(slow.promise);
    void h.qc.invalidateQueries({ queryKey: h.keys.runJournal(RUN_ID), exact: true });
    await flush();
    es.emit("journal", { entry: makeEntry({ seq: 2, key: "second", revision: 5 }) }, "10");
    slow.resolve({ run: head("EXECUTING", 4), entries: [first] });
    await flush();

    const journal = h.qc.getQueryData<RunJournal>(h.keys.runJournal(RUN_ID))!;
    expect(journal.run.revision).toBe(5);
    expect(journal.entries.map((e) => e.key)).toEqual(["first", "second"]);
  });
});
