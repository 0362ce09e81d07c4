/**
 * One SSE connection per watched run (and one for the runs list), shared by every hook that
 * watches it and every stream of the run a hook follows, folding pushed messages into the
 * react-query cache with `cache-updates.ts`.
 */
import { partialMatchKey, type QueryClient, type QueryKey } from "@tanstack/react-query";
import type { DurablyEvent, MetadataHistory, Run, RunFilters, RunJournal, RunStatusesSnapshot, RunStreamMessage } from "../types.ts";
import {
  applyMessageToJournal,
  applyMessageToMetadataHistory,
  applyMessageToRun,
  applyMessageToStatuses,
  applyRunToEvent,
  applyRunToList,
  type RunsListData,
} from "./cache-updates.ts";
import type { DurablyApiError, DurablyHttpClient } from "./http-client.ts";
import type { DurablyKeys } from "./query-keys.ts";
import { createRunConnections, type LogFollower } from "./run-connection.ts";
import { subscribeToRunStream } from "./run-stream.ts";
import type { EventSourceFactory } from "./sse-reader.ts";

export interface LiveUpdates {
  /** Streams a run's changes into its cached run, statuses and journal until the returned function is called. */
  watchRun(runId: string): () => void;
  /** Streams every run change into the cached run lists, counts and event pages. */
  watchRunList(): () => void;
  /** The runs' own streams (`streams.append` / `pipe`), on their run's connection. */
  streams: StreamFollows;
  /** The runs' log lines, on their run's connection. */
  logs: LogFollows;
  /**
   * A hook will watch the run once its snapshot is in: until then (or the returned function is
   * called) the run's connection for `api`'s credential waits for it, so it opens once, with the run.
   */
  expectRun(api: DurablyHttpClient, runId: string): () => void;
}

export interface StreamFollows {
  /**
   * Follows a run's stream into its cache entry (`keys.runStream`) until the returned function is
   * called, on the run's connection for `api`'s credential: hooks following the run or its
   * streams share it. `onError` hears a stream the credential may not read.
   */
  follow(api: DurablyHttpClient, runId: string, key: string, onError: (error: DurablyApiError) => void): () => void;
  /**
   * Follows every stream of a run, those it starts later included, into their cache entries and
   * their keys into `keys.runStreamKeys`, on the run's connection for `api`'s credential.
   */
  followAll(api: DurablyHttpClient, runId: string, onError: (error: DurablyApiError) => void): () => void;
}

export interface LogFollows {
  /**
   * Hands `follower` each log line of the run after `follower.after`, once and in order, as it is
   * stored, until the returned function is called or the run has finished and every line came
   * (`onEnd`): on the run's connection for `api`'s credential, resumed after a drop.
   */
  follow(api: DurablyHttpClient, runId: string, follower: LogFollower): () => void;
}

export interface LiveUpdatesOptions {
  queryClient: QueryClient;
  api: DurablyHttpClient;
  keys: DurablyKeys;
  createEventSource?: EventSourceFactory;
}

/** Metadata writes a push cannot describe can come many a second; their history is refetched at most this often. */
const METADATA_REFRESH_MS = 500;
/** Counts are refetched (one small request) at most this often while runs change. */
const COUNTS_REFRESH_MS = 1_000;

interface Watch {
  count: number;
  stop: () => void;
}

interface RunWatch extends Watch {
  /** The stream got `end` and sends nothing more: a hook watching the run again needs a new one. */
  ended: boolean;
  /** A hook joins the running stream with a snapshot that has just landed. */
  joined: () => void;
}

export function createLiveUpdates(options: LiveUpdatesOptions): LiveUpdates {
  const { queryClient, api, keys, createEventSource } = options;
  const runWatches = new Map<string, RunWatch>();
  const connections = createRunConnections({ queryClient, keys, createEventSource });
  let listWatch: Watch | null = null;

  function update<T>(key: QueryKey, apply: (current: T) => T): void {
    const current = queryClient.getQueryData<T>(key);
    if (current === undefined) return;
    const next = apply(current);
    if (next !== current) queryClient.setQueryData<T>(key, next);
  }

  function retain(watch: Watch, release: () => void): () => void {
    watch.count += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      watch.count -= 1;
      if (watch.count === 0) release();
    };
  }

  /**
   * The resume point is the oldest revision among the run's cached snapshots, so none of them
   * misses a change; re-sent messages are harmless (dropped by revision, statuses by version).
   * A statuses snapshot whose revision is unknown means replaying it all. The metadata history
   * takes metadata entries only.
   */
  function resumeRevision(runId: string): number | null {
    const revisions: number[] = [];
    const run = queryClient.getQueryData<Run>(keys.run(runId));
    if (run) revisions.push(run.revision);
    const statuses = queryClient.getQueryData<RunStatusesSnapshot>(keys.runStatuses(runId));
    if (statuses) {
      if (statuses.run.revision === undefined) return null;
      revisions.push(statuses.run.revision);
    }
    const journal = queryClient.getQueryData<RunJournal>(keys.runJournal(runId));
    if (journal) revisions.push(journal.run.revision);
    const history = queryClient.getQueryData<MetadataHistory>(keys.runMetadataHistory(runId));
    if (history) revisions.push(history.run.revision);
    return revisions.length > 0 ? Math.min(...revisions) : null;
  }

  function startRunStream(runId: string): RunWatch {
    let stopStream: (() => void) | null = null;
    let stopWaiting: (() => void) | null = null;
    let metadataTimer: ReturnType<typeof setTimeout> | null = null;
    /**
     * A metadata change was pushed that the cached history could not take: until it has been read
     * again, later changes are not appended to it either (it would skip that one).
     */
    let historyBehind = false;
    /** The newest revision the stream has brought: a snapshot read before it may lack what came since. */
    let delivered = -1;

    const refreshMetadataHistory = () => {
      if (metadataTimer !== null) return;
      historyBehind = true;
      metadataTimer = setTimeout(() => {
        metadataTimer = null;
        void queryClient.invalidateQueries({ queryKey: keys.runMetadataHistory(runId), exact: true }).then(() => {
          // Read again only while a hook shows it; otherwise it stays invalidated, to be read on mount.
          const state = queryClient.getQueryState(keys.runMetadataHistory(runId));
          if (metadataTimer === null && state?.isInvalidated === false) historyBehind = false;
        });
      }, METADATA_REFRESH_MS);
    };

    const onMessage = (message: RunStreamMessage) => {
      if (message.type !== "end") delivered = Math.max(delivered, message.revision);
      update<Run>(keys.run(runId), (run) => applyMessageToRun(run, message) ?? run);
      update<RunStatusesSnapshot>(keys.runStatuses(runId), (s) => applyMessageToStatuses(s, message) ?? s);
      update<RunJournal>(keys.runJournal(runId), (j) => applyMessageToJournal(j, message) ?? j);
      if ((message.type === "journal" && message.entry.kind === "metadata") || message.type === "metadata") {
        update<MetadataHistory>(keys.runMetadataHistory(runId), (history) => {
          const next = historyBehind ? null : applyMessageToMetadataHistory(history, message);
          if (next !== null) return next ?? history;
          refreshMetadataHistory();
          return history;
        });
      }
    };

    const open = () => {
      stopStream = connections.of(api, runId).followRun({
        since: resumeRevision(runId),
        onMessage,
        // Whatever the stream could not carry (a missed end, the final metadata history) is fetched once.
        onEnd: () => {
          watch.ended = true;
          void queryClient.invalidateQueries({ queryKey: keys.runScope(runId) });
        },
      });
    };

    const watch: RunWatch = {
      count: 0,
      ended: false,
      // Messages that came while the joining hook's snapshot was on its way had no cache entry to
      // go into: when that snapshot is older than what the stream has brought, start again from it.
      joined: () => {
        if (stopStream === null || watch.ended) return;
        const since = resumeRevision(runId);
        if (since !== null && since >= delivered) return;
        stopStream();
        open();
      },
      stop: () => {
        stopWaiting?.();
        stopStream?.();
        if (metadataTimer !== null) clearTimeout(metadataTimer);
      },
    };

    // Start only once the snapshots being fetched right now have landed, so the resume point
    // covers all of them (the hooks of one page mount together and fetch in parallel).
    const isFetching = () => queryClient.isFetching({ queryKey: keys.runScope(runId) }) > 0;
    if (isFetching()) {
      // Hooks following the run's streams or lines meanwhile wait too: one connection, with the run.
      const release = connections.of(api, runId).expectRun();
      const unsubscribe = queryClient.getQueryCache().subscribe(() => {
        if (isFetching()) return;
        unsubscribe();
        stopWaiting = null;
        open();
        release();
      });
      stopWaiting = () => {
        unsubscribe();
        release();
      };
    } else {
      open();
    }
    return watch;
  }

  function startListStream(): () => void {
    let countsTimer: ReturnType<typeof setTimeout> | null = null;
    const refreshCounts = () => {
      if (countsTimer !== null) return;
      countsTimer = setTimeout(() => {
        countsTimer = null;
        void queryClient.invalidateQueries({ queryKey: keys.runCountsAll() });
      }, COUNTS_REFRESH_MS);
    };

    // Only lists and event pages take these: a per-run cache must advance by its own stream,
    // or its revision would jump past journal messages it has not seen yet.
    const applyRun = (run: Run) => {
      for (const query of queryClient.getQueryCache().findAll({ queryKey: keys.runLists() })) {
        const filters = query.queryKey[query.queryKey.length - 1] as RunFilters;
        update<RunsListData>(query.queryKey, (data) => applyRunToList(data, run, filters) ?? data);
      }
      for (const query of queryClient.getQueryCache().findAll({ queryKey: keys.events() })) {
        if (query.queryKey[query.queryKey.length - 1] !== "detail") continue;
        update<DurablyEvent>(query.queryKey, (event) => applyRunToEvent(event, run) ?? event);
      }
    };

    // A list or event page being fetched may have been read before a run it holds changed, and
    // the push of that change finds nothing (or the old answer) in the cache: the runs pushed
    // meanwhile are applied again to each answer that lands, newest per run. Kept only while such
    // a fetch is under way.
    const pushedDuringFetch = new Map<string, Run>();
    const isListOrEvent = (queryKey: QueryKey) => partialMatchKey(queryKey, keys.runLists()) || partialMatchKey(queryKey, keys.events());
    const fetching = () => queryClient.isFetching({ predicate: (query) => isListOrEvent(query.queryKey) }) > 0;
    const unsubscribeCache = queryClient.getQueryCache().subscribe((event) => {
      if (event.type !== "updated" || !isListOrEvent(event.query.queryKey)) return;
      if (event.action.type === "success") for (const run of pushedDuringFetch.values()) applyRun(run);
      if (!fetching()) pushedDuringFetch.clear();
    });

    const onMessage = (message: RunStreamMessage) => {
      if (message.type !== "run") return;
      const run = message.run;
      if (fetching() && (pushedDuringFetch.get(run.id)?.revision ?? -1) < run.revision) pushedDuringFetch.set(run.id, run);
      applyRun(run);
      refreshCounts();
    };

    const stopStream = subscribeToRunStream({
      url: () => api.streamUrl("/api/runs/stream"),
      resume: false,
      onMessage,
      // This stream carries only changes made while it is connected: what was read before it
      // connected, the first time as after a reconnect, is read again.
      onOpen: () => {
        void queryClient.invalidateQueries({ queryKey: keys.runLists() });
        void queryClient.invalidateQueries({ queryKey: keys.runCountsAll() });
        void queryClient.invalidateQueries({ queryKey: keys.events() });
      },
      createEventSource,
    });
    return () => {
      stopStream();
      unsubscribeCache();
      if (countsTimer !== null) clearTimeout(countsTimer);
    };
  }

  return {
    streams: {
      follow: (streamApi, runId, key, onError) => connections.of(streamApi, runId).followStream(key, onError),
      followAll: (streamApi, runId, onError) => connections.of(streamApi, runId).followAllStreams(onError),
    },
    logs: { follow: (logApi, runId, follower) => connections.of(logApi, runId).followLogs(follower) },
    expectRun: (runApi, runId) => connections.of(runApi, runId).expectRun(),
    watchRun(runId) {
      let watch = runWatches.get(runId);
      if (!watch || watch.ended) {
        watch = startRunStream(runId);
        runWatches.set(runId, watch);
      } else {
        watch.joined();
      }
      const current = watch;
      return retain(current, () => {
        current.stop();
        if (runWatches.get(runId) === current) runWatches.delete(runId);
      });
    },
    watchRunList() {
      if (!listWatch) listWatch = { count: 0, stop: startListStream() };
      const current = listWatch;
      return retain(current, () => {
        current.stop();
        if (listWatch === current) listWatch = null;
      });
    },
  };
}
