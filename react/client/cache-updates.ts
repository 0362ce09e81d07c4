/**
 * Pure functions that fold a pushed SSE message into the shapes react-query caches. Each returns
 * its input unchanged (same reference) when the message does not apply, so callers can skip the
 * cache write and observers do not re-render.
 *
 * Revisions make this exact: a journal message whose revision is not newer than what the cache
 * holds was already seen (typically re-sent after a reconnect) and is ignored. A run message
 * carries the whole row at its revision, so one at the cached revision is still taken: the
 * journal write at that revision may also have changed the run's state (WAITING, say).
 */
import type { InfiniteData } from "@tanstack/react-query";
import type {
  DurablyEvent,
  JournalEntry,
  MetadataChange,
  MetadataHistory,
  Run,
  RunFilters,
  RunJournal,
  RunStatusesSnapshot,
  PushedStatus,
  RunStreamMessage,
  RunsPage,
  Status,
  StatusVersion,
} from "../types.ts";

export type RunsListData = InfiniteData<RunsPage, string | null>;

function isStale(cachedRevision: number | undefined, message: RunStreamMessage & { revision: number }): boolean {
  if (cachedRevision === undefined) return false;
  return message.type === "run" ? message.revision < cachedRevision : message.revision <= cachedRevision;
}

/**
 * Keeps whichever snapshot is newer, so a slow fetch cannot overwrite fresher pushed data. When
 * the fetched snapshot has no revision (the contract does not promise one), each status keeps
 * its newer version, and the revision is forgotten so the next stream replays from the start.
 */
export function preferNewerSnapshot(
  cached: RunStatusesSnapshot | undefined,
  fetched: RunStatusesSnapshot,
): RunStatusesSnapshot {
  if (!cached) return fetched;
  const cachedRevision = cached.run.revision;
  const fetchedRevision = fetched.run.revision;
  if (cachedRevision !== undefined && fetchedRevision !== undefined) {
    return cachedRevision > fetchedRevision ? cached : fetched;
  }
  let statuses = fetched.statuses;
  for (const status of cached.statuses) statuses = upsertStatus(statuses, status);
  return { run: fetched.run, statuses };
}

/** Same as `preferNewerSnapshot` for a full run. */
export function preferNewerRun(cached: Run | undefined, fetched: Run): Run {
  return cached && cached.revision > fetched.revision ? cached : fetched;
}

/** Same as `preferNewerSnapshot` for a journal, which pushed entries may have moved past the fetch. */
export function preferNewerJournal(cached: RunJournal | undefined, fetched: RunJournal): RunJournal {
  return cached && cached.run.revision > fetched.run.revision ? cached : fetched;
}

const versionOf = (status: Status): StatusVersion => ({
  label: status.label,
  state: status.state,
  ...(status.data && { data: status.data }),
  at: status.updatedAt,
});

const sameVersion = (a: PushedStatus, b: PushedStatus) =>
  a.label === b.label && a.state === b.state && JSON.stringify(a.data ?? null) === JSON.stringify(b.data ?? null);

/**
 * Replaces the status with the same key, or appends it when it is new. A pushed status may come
 * without its history: the version it replaces then joins the history. A version older than the
 * cached one, or the cached one itself (re-sent), changes nothing.
 */
export function upsertStatus(statuses: Status[], status: PushedStatus): Status[] {
  const index = statuses.findIndex((s) => s.key === status.key);
  const current = index === -1 ? undefined : statuses[index]!;
  if (!current) return [...statuses, { ...status, history: status.history ?? [] }];
  const age = Date.parse(status.updatedAt) - Date.parse(current.updatedAt);
  if (age < 0 || (age === 0 && sameVersion(status, current))) return statuses;
  const next = statuses.slice();
  next[index] = {
    ...status,
    history: status.history ?? [...current.history, versionOf(current)],
  };
  return next;
}

export function applyMessageToStatuses(
  snapshot: RunStatusesSnapshot | undefined,
  message: RunStreamMessage,
): RunStatusesSnapshot | undefined {
  if (!snapshot || message.type === "end") return snapshot;
  if (isStale(snapshot.run.revision, message)) return snapshot;
  if (message.type === "run") {
    const { id, status, output, wait } = message.run;
    const { run } = snapshot;
    if (run.revision === message.revision && run.status === status && run.output === output && run.wait?.waitpointId === wait?.waitpointId) return snapshot;
    return { run: { id, status, output, wait, revision: message.revision }, statuses: snapshot.statuses };
  }
  if (message.type === "metadata") return { run: { ...snapshot.run, revision: message.revision }, statuses: snapshot.statuses };
  return {
    run: { ...snapshot.run, revision: message.revision },
    statuses: message.status ? upsertStatus(snapshot.statuses, message.status) : snapshot.statuses,
  };
}

export function applyMessageToRun(run: Run | undefined, message: RunStreamMessage): Run | undefined {
  if (!run || message.type === "end") return run;
  if (isStale(run.revision, message)) return run;
  if (message.type === "run") return message.run;
  // A child's change to this run's metadata changed it, `updatedAt` and the revision, and nothing else.
  if (message.type === "metadata") return { ...run, revision: message.revision, metadata: message.change.metadata, updatedAt: message.change.at };
  // A metadata write changes the run's metadata and nothing else but `updatedAt`, which is the
  // entry's time (one statement): the engine sends no run message after it (engine/http/run-stream.ts).
  return {
    ...run,
    revision: message.revision,
    ...(message.metadata ? { metadata: message.metadata, updatedAt: message.entry.finishedAt } : {}),
  };
}

/**
 * Appends the change a pushed metadata entry made, when the push carries all of it: the op and
 * key are in the entry's key (`op:key`), and a `set` or `del` leaves its value in the metadata
 * pushed with it. An `increment` or `append` pushes no value: null, the history must be read again.
 */
export function applyMessageToMetadataHistory(
  history: MetadataHistory | undefined,
  message: RunStreamMessage,
): MetadataHistory | undefined | null {
  if (!history || message.type === "end" || message.type === "run") return history;
  if (isStale(history.run.revision, message)) return history;
  if (message.type === "metadata") {
    const { change } = message;
    return {
      run: { ...history.run, revision: message.revision },
      changes: [...history.changes.filter((c) => c.seq !== change.seq), change],
    };
  }
  if (!message.metadata) return history;
  const { entry, metadata } = message;
  const colon = entry.key.indexOf(":");
  const op = entry.key.slice(0, colon);
  if (colon === -1 || (op !== "set" && op !== "del")) return null;
  const key = entry.key.slice(colon + 1);
  const value = op === "set" ? metadata[key] : undefined;
  const change: MetadataChange = { seq: entry.seq, op, key, ...(value !== undefined && { value }), metadata, at: entry.finishedAt };
  return {
    run: { ...history.run, revision: message.revision },
    changes: [...history.changes.filter((c) => c.seq !== entry.seq), change],
  };
}

/** Same as `preferNewerSnapshot` for a metadata history, which pushed changes may have moved past the fetch. */
export function preferNewerMetadataHistory(cached: MetadataHistory | undefined, fetched: MetadataHistory): MetadataHistory {
  return cached && cached.run.revision > fetched.run.revision ? cached : fetched;
}

function upsertJournalEntry(entries: JournalEntry[], entry: JournalEntry): JournalEntry[] | null {
  const index = entries.findIndex((e) => e.seq === entry.seq);
  if (index !== -1) {
    if (entries[index]!.revision >= entry.revision) return null;
    const next = entries.slice();
    next[index] = entry;
    return next;
  }
  const at = entries.findIndex((e) => e.seq > entry.seq);
  const next = entries.slice();
  next.splice(at === -1 ? next.length : at, 0, entry);
  return next;
}

/**
 * Inserts or replaces the entry by `seq`; an entry is replaced only by a newer revision of itself.
 * A run message moves the journal's `run` along, so the journal knows when it is complete.
 */
export function applyMessageToJournal(journal: RunJournal | undefined, message: RunStreamMessage): RunJournal | undefined {
  if (!journal || message.type === "end") return journal;
  if (isStale(journal.run.revision, message)) return journal;
  if (message.type === "run") {
    const { id, status } = message.run;
    if (journal.run.revision === message.revision && journal.run.status === status) return journal;
    return { run: { id, status, revision: message.revision }, entries: journal.entries };
  }
  if (message.type === "metadata") return { run: { ...journal.run, revision: message.revision }, entries: journal.entries };
  const entries = upsertJournalEntry(journal.entries, message.entry) ?? journal.entries;
  return { run: { ...journal.run, revision: message.revision }, entries };
}

/** Whether a run belongs in a list with these filters (mirrors what `GET /api/runs` selects). */
export function runMatchesFilters(run: Run, filters: RunFilters): boolean {
  if (filters.status && filters.status.length > 0 && !filters.status.includes(run.status)) return false;
  if (filters.taskIdentifier && run.taskIdentifier !== filters.taskIdentifier) return false;
  if (filters.tag && !run.tags.includes(filters.tag)) return false;
  if (filters.eventId && run.eventId !== filters.eventId) return false;
  const created = Date.parse(run.createdAt);
  if (filters.from && created < Date.parse(filters.from)) return false;
  if (filters.to && created >= Date.parse(filters.to)) return false;
  if (filters.metadataKey) {
    if (!Object.hasOwn(run.metadata, filters.metadataKey)) return false;
    if (filters.metadataValue !== undefined && filters.metadataValue !== "") {
      const value = run.metadata[filters.metadataKey];
      const asText = typeof value === "string" ? value : JSON.stringify(value);
      if (asText !== filters.metadataValue) return false;
    }
  }
  return true;
}

/** Newest first: the order `GET /api/runs` pages in (created, then id for runs created together). */
export function compareRunsNewestFirst(a: Run, b: Run): number {
  const created = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (created !== 0) return created;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Folds a pushed run into a paged list: replaced in place while it still matches the filters,
 * removed when it no longer does, inserted at its place when it newly matches. A run that would
 * sort after the last loaded row is left for "load more" to bring.
 */
export function applyRunToList(data: RunsListData | undefined, run: Run, filters: RunFilters): RunsListData | undefined {
  if (!data) return data;
  const matches = runMatchesFilters(run, filters);
  for (let p = 0; p < data.pages.length; p++) {
    const page = data.pages[p]!;
    const index = page.data.findIndex((r) => r.id === run.id);
    if (index === -1) continue;
    if (page.data[index]!.revision >= run.revision) return data;
    const rows = page.data.slice();
    if (matches) rows[index] = run;
    else rows.splice(index, 1);
    return replacePage(data, p, { ...page, data: rows });
  }
  if (!matches) return data;
  for (let p = 0; p < data.pages.length; p++) {
    const page = data.pages[p]!;
    const index = page.data.findIndex((r) => compareRunsNewestFirst(run, r) < 0);
    if (index === -1) continue;
    const rows = page.data.slice();
    rows.splice(index, 0, run);
    return replacePage(data, p, { ...page, data: rows });
  }
  const last = data.pages.length - 1;
  const lastPage = data.pages[last];
  if (!lastPage || lastPage.nextCursor !== null) return data;
  return replacePage(data, last, { ...lastPage, data: [...lastPage.data, run] });
}

function replacePage(data: RunsListData, index: number, page: RunsPage): RunsListData {
  const pages = data.pages.slice();
  pages[index] = page;
  return { ...data, pages };
}

/** Updates a run listed on an event page; a run the event started that is new to the list is added. */
export function applyRunToEvent(event: DurablyEvent | undefined, run: Run): DurablyEvent | undefined {
  if (!event) return event;
  const index = event.runs.findIndex((r) => r.id === run.id);
  if (index === -1) {
    return run.eventId === event.id ? { ...event, runs: [...event.runs, run] } : event;
  }
  if (event.runs[index]!.revision >= run.revision) return event;
  const runs = event.runs.slice();
  runs[index] = run;
  return { ...event, runs };
}
