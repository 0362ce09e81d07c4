import { describe, expect, it } from "vitest";
import {
  applyMessageToJournal,
  applyMessageToMetadataHistory,
  applyMessageToRun,
  applyMessageToStatuses,
  applyRunToList,
  preferNewerJournal,
  preferNewerSnapshot,
  runMatchesFilters,
  type RunsListData,
} from "../react/client/cache-updates.ts";
import type { Run, RunStatusesSnapshot, RunStreamMessage, Status } from "../react/types.ts";
import { makeEntry, makeRun } from "./helpers/react.ts";

function makeStatus(overrides: Partial<Status> = {}): Status {
  return {
    key: "generating-memes",
    label: "Generating memes",
    state: "loading",
    data: { progress: 0.1 },
    updatedAt: "2025-01-01T00:00:02.000Z",
    history: [],
    ...overrides,
  };
}


const snapshot: RunStatusesSnapshot = {
  run: { id: "run_1", status: "EXECUTING", output: null, revision: 5 },
  statuses: [makeStatus()],
};

describe("statuses cache", () => {
  it("replaces a pushed status by key and keeps its list order", () => {
    const other = makeStatus({ key: "uploading", label: "Uploading" });
    const cached = { ...snapshot, statuses: [makeStatus(), other] };
    const updated = makeStatus({ state: "success", data: { progress: 1, urls: ["a.gif"] } });
    const message: RunStreamMessage = { type: "journal", revision: 6, entry: makeEntry(), status: updated };

    const next = applyMessageToStatuses(cached, message);

    expect(next?.statuses).toEqual([updated, other]);
    expect(next?.run.revision).toBe(6);
  });

  it("appends a status with a new key", () => {
    const created = makeStatus({ key: "uploading", label: "Uploading" });
    const next = applyMessageToStatuses(snapshot, {
      type: "journal",
      revision: 6,
      entry: makeEntry({ key: "uploading" }),
      status: created,
    });
    expect(next?.statuses.map((s) => s.key)).toEqual(["generating-memes", "uploading"]);
  });

  it("replaces the run overview with a pushed run", () => {
    const next = applyMessageToStatuses(snapshot, {
      type: "run",
      revision: 7,
      run: makeRun({ status: "SUCCESS", output: { memes: 2 }, revision: 7 }),
    });
    expect(next?.run).toEqual({ id: "run_1", status: "SUCCESS", output: { memes: 2 }, wait: null, revision: 7 });
    expect(next?.statuses).toBe(snapshot.statuses);
  });

  it("takes the waitpoint a pushed run waits on into the overview, and drops it with the push that resumes the run", () => {
    const wait = { kind: "waitpoint" as const, waitpointId: "waitpoint_1", timeoutAt: null };
    const waiting = applyMessageToStatuses(snapshot, { type: "run", revision: 6, run: makeRun({ status: "WAITING", wait, revision: 6 }) });
    expect(waiting?.run).toMatchObject({ status: "WAITING", wait });
    const resumed = applyMessageToStatuses(waiting, { type: "run", revision: 7, run: makeRun({ status: "EXECUTING", revision: 7 }) });
    expect(resumed?.run).toMatchObject({ status: "EXECUTING", wait: null });
  });

  it("ignores journal messages at or below the cached revision (re-sent after a reconnect)", () => {
    const stale = makeStatus({ state: "failure", updatedAt: "2025-01-01T00:00:09.000Z" });
    for (const revision of [4, 5]) {
      const next = applyMessageToStatuses(snapshot, { type: "journal", revision, entry: makeEntry(), status: stale });
      expect(next).toBe(snapshot);
    }
  });

  it("takes a run message at the cached revision: that journal write may have changed the run's state", () => {
    const next = applyMessageToStatuses(snapshot, {
      type: "run",
      revision: 5,
      run: makeRun({ status: "WAITING", revision: 5 }),
    });
    expect(next?.run.status).toBe("WAITING");
    expect(applyMessageToStatuses(snapshot, { type: "run", revision: 4, run: makeRun({ revision: 4 }) })).toBe(snapshot);
  });

  it("moves the replaced version into the history when a pushed status comes without one", () => {
    const { history: _omitted, ...pushed } = makeStatus({
      state: "success",
      data: { progress: 1 },
      updatedAt: "2025-01-01T00:00:05.000Z",
    });
    const next = applyMessageToStatuses(snapshot, { type: "journal", revision: 6, entry: makeEntry(), status: pushed });
    expect(next?.statuses[0]).toMatchObject({ state: "success", data: { progress: 1 } });
    expect(next?.statuses[0]?.history).toEqual([
      { label: "Generating memes", state: "loading", data: { progress: 0.1 }, at: "2025-01-01T00:00:02.000Z" },
    ]);
  });

  it("drops a re-sent or older status version when the snapshot's revision is unknown", () => {
    const unknown: RunStatusesSnapshot = { run: { id: "run_1", status: "EXECUTING", output: null }, statuses: [makeStatus()] };
    const { history: _h, ...same } = makeStatus();
    const older = { ...same, data: { progress: 0 }, updatedAt: "2025-01-01T00:00:01.000Z" };
    for (const status of [same, older]) {
      const next = applyMessageToStatuses(unknown, { type: "journal", revision: 3, entry: makeEntry(), status });
      expect(next?.statuses).toBe(unknown.statuses);
    }
  });

  it("keeps a cached snapshot that is newer than a slow fetch", () => {
    const newer = { ...snapshot, run: { ...snapshot.run, revision: 9 } };
    expect(preferNewerSnapshot(newer, snapshot)).toBe(newer);
    expect(preferNewerSnapshot(snapshot, newer)).toBe(newer);
  });

  it("keeps each status's newer version when the fetched snapshot has no revision", () => {
    const pushed = makeStatus({ state: "success", updatedAt: "2025-01-01T00:00:08.000Z" });
    const cached = { ...snapshot, statuses: [pushed] };
    const fetched: RunStatusesSnapshot = { run: { id: "run_1", status: "EXECUTING", output: null }, statuses: [makeStatus()] };
    const merged = preferNewerSnapshot(cached, fetched);
    expect(merged.statuses).toEqual([pushed]);
    expect(merged.run.revision).toBeUndefined();
  });

  it("leaves an absent cache absent", () => {
    expect(applyMessageToStatuses(undefined, { type: "run", revision: 9, run: makeRun() })).toBeUndefined();
  });
});

describe("run cache", () => {
  it("replaces the run with a pushed run", () => {
    const pushed = makeRun({ status: "WAITING", revision: 6 });
    expect(applyMessageToRun(makeRun(), { type: "run", revision: 6, run: pushed })).toBe(pushed);
  });

  it("sets the whole metadata object from a metadata journal message", () => {
    const next = applyMessageToRun(makeRun({ metadata: { progress: 0.1 } }), {
      type: "journal",
      revision: 6,
      entry: makeEntry({ kind: "metadata", key: "progress" }),
      metadata: { progress: 0.5, user: "eric" },
    });
    expect(next?.metadata).toEqual({ progress: 0.5, user: "eric" });
    expect(next?.revision).toBe(6);
  });

  it("appends a pushed del to the metadata history, and a re-sent one changes nothing", () => {
    const history = { run: { id: "run_1", status: "EXECUTING" as const, revision: 5 }, changes: [] };
    const message: RunStreamMessage = {
      type: "journal",
      revision: 6,
      entry: makeEntry({ seq: 3, kind: "metadata", key: "del:step:1", finishedAt: "2025-01-01T00:00:09.000Z", revision: 6 }),
      metadata: { progress: 0.5 },
    };
    const next = applyMessageToMetadataHistory(history, message)!;
    expect(next).toEqual({
      run: { id: "run_1", status: "EXECUTING", revision: 6 },
      changes: [{ seq: 3, op: "del", key: "step:1", metadata: { progress: 0.5 }, at: "2025-01-01T00:00:09.000Z" }],
    });
    expect(applyMessageToMetadataHistory(next, message)).toBe(next);
  });

  it("ignores a stale run", () => {
    const cached = makeRun({ revision: 8 });
    const stale = makeRun({ status: "QUEUED", revision: 7 });
    expect(applyMessageToRun(cached, { type: "run", revision: 7, run: stale })).toBe(cached);
  });
});

describe("journal cache", () => {
  const head = { id: "run_1", status: "EXECUTING", revision: 4 } as const;

  it("inserts entries in seq order and replaces an entry only by a newer revision of itself", () => {
    const journal = { run: head, entries: [makeEntry({ seq: 1, revision: 2 }), makeEntry({ seq: 3, revision: 4 })] };
    const inserted = applyMessageToJournal(journal, {
      type: "journal",
      revision: 5,
      entry: makeEntry({ seq: 2, kind: "task", revision: 5 }),
    });
    expect(inserted?.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(inserted?.run.revision).toBe(5);

    const replay = { type: "journal", revision: 4, entry: makeEntry({ seq: 3, revision: 4, attempts: 9 }) } as const;
    expect(applyMessageToJournal(journal, replay)).toBe(journal);

    const retried = applyMessageToJournal(journal, {
      type: "journal",
      revision: 6,
      entry: makeEntry({ seq: 3, revision: 6, attempts: 2 }),
    });
    expect(retried?.entries[1]?.attempts).toBe(2);
  });

  it("follows the run's state, so a journal knows when it holds every entry", () => {
    const journal = { run: head, entries: [makeEntry({ seq: 1, revision: 2 })] };
    const finished = applyMessageToJournal(journal, { type: "run", revision: 7, run: makeRun({ status: "SUCCESS", revision: 7 }) });
    expect(finished).toEqual({ run: { id: "run_1", status: "SUCCESS", revision: 7 }, entries: journal.entries });
    expect(applyMessageToJournal(finished, { type: "run", revision: 6, run: makeRun({ status: "EXECUTING", revision: 6 }) })).toBe(finished);
    expect(applyMessageToJournal(journal, { type: "run", revision: 4, run: makeRun({ status: "EXECUTING", revision: 4 }) })).toBe(journal);
  });

  it("keeps a journal that pushed entries moved past a slower fetch", () => {
    const fetched = { run: head, entries: [makeEntry({ seq: 1, revision: 2 })] };
    const pushed = { run: { ...head, revision: 6 }, entries: [...fetched.entries, makeEntry({ seq: 2, revision: 6 })] };
    expect(preferNewerJournal(pushed, fetched)).toBe(pushed);
    expect(preferNewerJournal(fetched, pushed)).toBe(pushed);
    expect(preferNewerJournal(undefined, fetched)).toBe(fetched);
  });
});

describe("runs list cache", () => {
  const page = (runs: Run[], nextCursor: string | null = null) => ({
    data: runs,
    nextCursor,
    counts: { QUEUED: 0, EXECUTING: 0, WAITING: 0, SUCCESS: 0, FAILURE: 0, CANCELED: 0 },
    estimatedCounts: [],
    countsAtLeast: [],
  });
  const list = (...pages: ReturnType<typeof page>[]): RunsListData => ({
    pages,
    pageParams: pages.map((_, i) => (i === 0 ? null : `c${i}`)),
  });
  const older = makeRun({ id: "run_a", createdAt: "2025-01-01T00:00:00.000Z" });
  const newer = makeRun({ id: "run_b", createdAt: "2025-01-02T00:00:00.000Z" });

  it("puts a new matching run at the top (ids sort by creation)", () => {
    const fresh = makeRun({ id: "run_c", createdAt: "2025-01-03T00:00:00.000Z", status: "QUEUED" });
    const next = applyRunToList(list(page([newer, older])), fresh, {});
    expect(next?.pages[0]?.data.map((r) => r.id)).toEqual(["run_c", "run_b", "run_a"]);
  });

  it("places a pushed run by when it was created, then by id for runs created together, as the engine pages", () => {
    // An id made by another process's clock may sort after a run the database created later.
    const between = makeRun({ id: "run_z", createdAt: "2025-01-01T12:00:00.000Z", status: "QUEUED" });
    expect(applyRunToList(list(page([newer, older])), between, {})?.pages[0]?.data.map((r) => r.id)).toEqual(["run_b", "run_z", "run_a"]);
    const sameMoment = makeRun({ id: "run_9", createdAt: older.createdAt, status: "QUEUED" });
    expect(applyRunToList(list(page([newer, older])), sameMoment, {})?.pages[0]?.data.map((r) => r.id)).toEqual(["run_b", "run_a", "run_9"]);
  });

  it("updates a row in place and drops it once it stops matching the status filter", () => {
    const data = list(page([newer, older]));
    const finished = { ...older, status: "SUCCESS" as const, revision: 9 };
    expect(applyRunToList(data, finished, {})?.pages[0]?.data[1]).toBe(finished);
    expect(applyRunToList(data, finished, { status: ["EXECUTING"] })?.pages[0]?.data).toEqual([newer]);
  });

  it("leaves a run that sorts after the last loaded row to the next page", () => {
    const oldest = makeRun({ id: "run_0", createdAt: "2024-12-01T00:00:00.000Z" });
    const data = list(page([newer, older], "cursor"));
    expect(applyRunToList(data, oldest, {})).toBe(data);
  });

  it("does not add runs that do not match the filters", () => {
    const data = list(page([newer]));
    const otherTask = makeRun({ id: "run_x", taskIdentifier: "other", createdAt: "2025-02-01T00:00:00.000Z" });
    expect(applyRunToList(data, otherTask, { taskIdentifier: "meme-generator" })).toBe(data);
  });

  it("matches filters on tag, time range and metadata", () => {
    const run = makeRun({ tags: ["user:1"], metadata: { plan: "pro", seats: 3 } });
    expect(runMatchesFilters(run, { tag: "user:1", metadataKey: "plan", metadataValue: "pro" })).toBe(true);
    expect(runMatchesFilters(run, { metadataKey: "seats", metadataValue: "3" })).toBe(true);
    expect(runMatchesFilters(run, { metadataKey: "plan", metadataValue: "free" })).toBe(false);
    expect(runMatchesFilters(run, { from: "2025-01-02T00:00:00.000Z" })).toBe(false);
    expect(runMatchesFilters(run, { to: "2025-01-02T00:00:00.000Z" })).toBe(true);
    expect(runMatchesFilters(run, { to: run.createdAt })).toBe(false);
  });
});
