/**
 * One SSE connection per run and credential, carrying the run's changes for `useRealtimeRun` and
 * the other run hooks, the chunks of the streams of the run hooks follow (named, or every one of
 * them) and its log lines (`GET /api/runs/:id/stream?streams=a,b|*&logs=`, docs/http-api.md).
 */
import type { QueryClient } from "@tanstack/react-query";
import { invalidStreamKeyMessage, isStreamKey, type StreamLimit } from "../../wire/index.ts";
import { isFinalRunStatus, type FinalRunStatus, type RunLogLine, type RunStreamMessage, type StreamData, type StreamEnd, type StreamKeys, type StreamPart } from "../types.ts";
import { allStreamsId, keyedPositionOf, namedPositionOf, namedStreamsId, runPartOf } from "./connection-ids.ts";
import { DurablyApiError, type DurablyHttpClient } from "./http-client.ts";
import type { DurablyKeys } from "./query-keys.ts";
import { parseMessage } from "./run-stream.ts";
import { createSseReader, type EventSourceFactory, type SseReader } from "./sse-reader.ts";

export const EMPTY_STREAM: StreamData = { parts: [], lastEventId: null, end: null };
export const NO_STREAM_KEYS: StreamKeys = { keys: [], end: false };

/** Folds a chunk into the parts: a chunk at or below one held (re-sent after a reconnect) changes nothing. */
export function addPart(data: StreamData, part: StreamPart, eventId: string): StreamData {
  const last = data.parts.at(-1);
  if (last && last.index >= part.index) return { ...data, lastEventId: eventId };
  return { ...data, parts: [...data.parts, part], lastEventId: eventId };
}

/** A reset drops every part from `fromIndex` on: those chunks were superseded by a replay. */
export function resetParts(data: StreamData, fromIndex: number, eventId: string): StreamData {
  return { ...data, parts: data.parts.filter((part) => part.index < fromIndex), lastEventId: eventId };
}

/** Who follows the run's own changes on the connection. */
export interface RunFollower {
  /** The revision the caller's snapshots hold: where the run's changes start when it joins. */
  since: number | null;
  onMessage: (message: RunStreamMessage) => void;
  /** The run finished (`end`): nothing more comes for it. */
  onEnd: () => void;
}

/** Who follows the run's log lines on the connection. */
export interface LogFollower {
  /** The id of the last line the follower holds ("0": none): it gets each line after it, once, in order. */
  after: string;
  onLine: (line: RunLogLine) => void;
  /** The run finished and every line was delivered. */
  onEnd?: (() => void) | undefined;
}

export interface RunConnection {
  /** Carries the run's changes to `follower` until the returned function is called. */
  followRun(follower: RunFollower): () => void;
  /**
   * Carries the stream `key` into its cache entry (`keys.runStream`) until the returned function
   * is called; a stream followed again later resumes after what the cache holds. `onError` hears
   * a stream the credential may not read.
   */
  followStream(key: string, onError: (error: DurablyApiError) => void): () => void;
  /**
   * Carries every stream of the run, those it starts later included, each into its cache entry,
   * and their keys into `keys.runStreamKeys` as they appear, until the returned function is called.
   */
  followAllStreams(onError: (error: DurablyApiError) => void): () => void;
  /** Delivers the run's log lines after `follower.after` until the returned function is called. */
  followLogs(follower: LogFollower): () => void;
  /**
   * A run follower is on its way (its snapshots are being read): until it joins or the returned
   * function is called, the connection is not opened (or opened again) for the others, so a page
   * whose hooks mount together opens one connection, with the run, not one without it first.
   */
  expectRun(): () => void;
}

export interface RunConnectionOptions {
  api: DurablyHttpClient;
  runId: string;
  queryClient: QueryClient;
  keys: DurablyKeys;
  createEventSource?: EventSourceFactory | undefined;
  /** Nothing follows the connection any more: it is closed. */
  onIdle: () => void;
}

interface StreamFollow {
  count: number;
  errorListeners: Set<(error: DurablyApiError) => void>;
  /** Why the stream cannot be read, for followers joining after it was learned. */
  error?: DurablyApiError;
}

/**
 * What a connection carries: the run's changes or not (log lines come with them), every stream or
 * not, those named, in the order of its `?streams=` (beside every stream: those the engine left out
 * of it, `stream-limit`), and log lines.
 */
interface Carried {
  run: boolean;
  all: boolean;
  keys: string[];
  logs: boolean;
}

const sameCarried = (a: Carried, b: Carried) =>
  a.run === b.run && a.all === b.all && a.logs === b.logs && a.keys.join(",") === b.keys.join(",");
const carriesNothing = (c: Carried) => !c.run && !c.all && c.keys.length === 0;
/** Whether the connection carrying `open` carries everything of `next` (`leftOut`: whether every stream leaves a key out). */
const covers = (open: Carried, next: Carried, leftOut: (key: string) => boolean) =>
  (open.run || !next.run) && (open.logs || !next.logs) && (open.all || !next.all) &&
  next.keys.every((key) => open.keys.includes(key) || (open.all && !leftOut(key)));
const below = (a: string, b: string) => BigInt(a) < BigInt(b);

/**
 * The connection is opened with what its followers want, and opened again (once for the changes
 * made together) when that changes, resuming every part of it: the run after the last id taken
 * while it was carried (or the follower's snapshot), each stream after the last chunk its cache
 * holds, the log lines after the last one every log follower holds. Event ids hold every
 * position (`connection-ids.ts`). Following every stream (`?streams=*`) also carries the streams
 * followed by name, and is not opened again when the run starts a stream.
 */
export function createRunConnection(options: RunConnectionOptions): RunConnection {
  const { api, runId, queryClient, keys, createEventSource } = options;
  let run: RunFollower | null = null;
  const streams = new Map<string, StreamFollow>();
  const all: StreamFollow = { count: 0, errorListeners: new Set() };
  const logFollowers = new Set<LogFollower>();
  /** The id of the last log line the open connection sent (or the one it started after). */
  let logsSent = "0";
  let reader: SseReader | null = null;
  /** What the open connection carries; null while none is open. */
  let carried: Carried | null = null;
  /** The run's part of the last id taken while the run was carried: where its changes resume. */
  let runPosition: string | null = null;
  let settling = false;
  /** A follower joined with its own starting point: the open connection must start again from it. */
  let restart = false;
  /**
   * The connection sent the run finished: its `end` comes once the streams it carries have ended.
   * Followers leaving then (hooks that saw the final status) leave the connection as it is.
   */
  let runFinished = false;
  /** Run followers on their way (`expectRun`). */
  let expected = 0;

  const streamData = (key: string) => queryClient.getQueryData<StreamData>(keys.runStream(runId, key));
  const updateStream = (key: string, apply: (data: StreamData) => StreamData) =>
    queryClient.setQueryData<StreamData>(keys.runStream(runId, key), (data) => apply(data ?? EMPTY_STREAM));
  const streamKeys = () => queryClient.getQueryData<StreamKeys>(keys.runStreamKeys(runId)) ?? NO_STREAM_KEYS;
  const updateStreamKeys = (apply: (data: StreamKeys) => StreamKeys) =>
    queryClient.setQueryData<StreamKeys>(keys.runStreamKeys(runId), (data) => apply(data ?? NO_STREAM_KEYS));

  /**
   * Whether every stream (`*`) leaves `key` out: once the engine has said it leaves streams out,
   * each it did not announce, named in `stream-limit` or not (past `MAX_NAMED_LEFT_OUT` it only
   * counts them).
   */
  const leftOut = (): ((key: string) => boolean) => {
    const found = streamKeys();
    const announcedKeys = new Set(found.keys);
    const limited = (found.leftOut ?? 0) > 0;
    return (key) => limited && !announcedKeys.has(key);
  };
  const wanted = (): Carried => {
    const every = all.count > 0 && !all.error && !streamKeys().end;
    const logs = logFollowers.size > 0;
    const named = [...streams].filter(([key, follow]) => follow.count > 0 && !follow.error && !streamData(key)?.end).map(([key]) => key);
    const left = leftOut();
    return {
      // The engine sends log lines with the run's changes.
      run: run !== null || logs,
      all: every,
      // Every stream carries those followed by name too, but for those it leaves out.
      keys: every ? named.filter(left) : named,
      logs,
    };
  };
  const logsAfter = () => [...logFollowers].reduce((low, follower) => (below(follower.after, low) ? follower.after : low), [...logFollowers][0]?.after ?? "0");

  const url = (): string => {
    const next = wanted();
    carried = next;
    const query: string[] = [];
    const named = [...(next.all ? ["*"] : []), ...next.keys.map(encodeURIComponent)];
    if (named.length > 0) query.push(`streams=${named.join(",")}`);
    if (!next.run) query.push("run=0");
    if (next.logs) query.push(`logs=${(logsSent = logsAfter())}`);
    const runPart = next.run ? runPosition : null;
    const position = (key: string) => streamData(key)?.lastEventId ?? null;
    let lastEventId = runPart;
    if (next.all) {
      const known = new Set([...streamKeys().keys, ...streams.keys()]);
      lastEventId = allStreamsId(runPart, [...known].map((key) => [key, position(key)]));
    } else if (next.keys.length > 0) {
      lastEventId = namedStreamsId(runPart, next.keys.map(position));
    }
    const path = `/api/runs/${encodeURIComponent(runId)}/stream${query.length > 0 ? `?${query.join("&")}` : ""}`;
    // The run's part left empty: it starts after the follower's snapshot.
    return api.streamUrl(path, { lastEventId, since: runPart === null ? (run?.since ?? null) : null });
  };

  const addKey = (key: string) => updateStreamKeys((data) => (data.keys.includes(key) ? data : { ...data, keys: [...data.keys, key] }));
  /** The engine carries `key` among every stream: no longer one it leaves out (another connection may have found the streams in another order). */
  const announced = (key: string) => {
    addKey(key);
    if (streamKeys().leftOutKeys?.includes(key)) updateStreamKeys((data) => ({ ...data, leftOutKeys: data.leftOutKeys?.filter((k) => k !== key) }));
  };
  /** Streams every stream leaves out: those followed by name are asked for beside it (`?streams=*,key`). */
  const onStreamLimit = (data: unknown) => {
    const limit = data as StreamLimit;
    updateStreamKeys((keysData) => {
      const held = new Set([...(keysData.leftOutKeys ?? []), ...(limit.leftOut ?? [])]);
      for (const key of keysData.keys) held.delete(key);
      return { ...keysData, leftOut: limit.streams - limit.limit, leftOutKeys: [...held] };
    });
    sync();
  };

  const onRunEvent = (type: "run" | "journal" | "metadata") => (data: unknown, id: string) => {
    if (!carried?.run) return;
    if (id) runPosition = runPartOf(id);
    const message = parseMessage(type, data);
    if (message?.type === "run" && isFinalRunStatus(message.run.status)) runFinished = true;
    if (message && run) run.onMessage(message);
  };
  const onStreamEvent = (apply: (key: string, data: Record<string, unknown>, position: string) => void) => (data: unknown, id: string) => {
    const body = data as Record<string, unknown>;
    const key = body.key as string;
    if (!carried) return;
    let position: string;
    if (carried.all) {
      // A stream named beside every stream is one it leaves out: not among its keys.
      if (!carried.keys.includes(key)) addKey(key);
      position = keyedPositionOf(id, key);
    } else {
      const at = carried.keys.indexOf(key);
      if (at < 0) return;
      position = namedPositionOf(id, at + 1);
    }
    if (carried.run && id) runPosition = runPartOf(id);
    apply(key, body, position);
  };
  const onLog = (data: unknown) => {
    if (!carried?.logs) return;
    const line = data as RunLogLine;
    if (below(logsSent, line.id)) logsSent = line.id;
    for (const follower of logFollowers) {
      if (!below(follower.after, line.id)) continue;
      follower.after = line.id;
      follower.onLine(line);
    }
  };

  /** The run finished and the connection sent everything it carried. */
  const onEnd = (data: unknown) => {
    const { status } = data as { status: FinalRunStatus };
    const wasAll = carried?.all ?? false;
    reader?.stop();
    reader = null;
    carried = null;
    if (wasAll) {
      updateStreamKeys((keysData) => ({ ...keysData, end: true }));
      // A stream followed by name that the run never wrote ends too.
      for (const key of streams.keys()) {
        updateStream(key, (stream) => (stream.end ? stream : { ...stream, end: { runId, key, status, lastIndex: stream.parts.at(-1)?.index ?? 0 } }));
      }
    }
    const follower = run;
    run = null;
    runPosition = null;
    runFinished = false;
    const logs = [...logFollowers];
    logFollowers.clear();
    for (const logFollower of logs) logFollower.onEnd?.();
    follower?.onMessage({ type: "end" });
    follower?.onEnd();
    sync();
  };

  const open = () =>
    createSseReader({
      url,
      on: {
        run: onRunEvent("run"),
        journal: onRunEvent("journal"),
        metadata: onRunEvent("metadata"),
        log: onLog,
        stream: onStreamEvent((key) => announced(key)),
        chunk: onStreamEvent((key, body, position) => updateStream(key, (data) => addPart(data, { index: body.index as number, data: body.data as StreamPart["data"] }, position))),
        reset: onStreamEvent((key, body, position) => updateStream(key, (data) => resetParts(data, body.fromIndex as number, position))),
        "stream-limit": onStreamLimit,
        "stream-end": onStreamEvent((key, body) => updateStream(key, (data) => ({ ...data, end: body as unknown as StreamEnd }))),
        end: onEnd,
      },
      mayRetry,
      createEventSource,
    });

  const refuse = (follow: StreamFollow) => (error: DurablyApiError) => {
    if (error.status < 400 || error.status >= 500) return;
    follow.error = error;
    for (const listener of follow.errorListeners) listener(error);
  };
  // EventSource tells no status: a connection that never opened asks why of each stream it
  // carries (a 403, a 404, a bad key) before it is tried again, and drops those it cannot read.
  const mayRetry = async (): Promise<boolean> => {
    if (carried?.all) await api.listRunStreams(runId).catch(refuse(all));
    for (const key of carried?.keys ?? []) {
      const follow = streams.get(key);
      if (follow) await api.getRunStream(runId, key, { after: Number.MAX_SAFE_INTEGER, limit: 1 }).catch(refuse(follow));
    }
    if (!carriesNothing(wanted())) return true;
    settle();
    return false;
  };

  /** Opens, reopens or closes the connection for what is wanted now. */
  const settle = () => {
    const next = wanted();
    if (carriesNothing(next)) {
      reader?.stop();
      reader = null;
      carried = null;
      if (run === null && streams.size === 0 && all.count === 0 && logFollowers.size === 0 && expected === 0) options.onIdle();
    } else if (expected > 0 && run === null) {
      // Opened once the run follower is here.
    } else if (!reader) {
      restart = false;
      reader = open();
    } else if (restart || !carried || (!sameCarried(carried, next) && !(runFinished && covers(carried, next, leftOut())))) {
      restart = false;
      reader.reconnect();
    }
  };
  /**
   * A connection is closed at once, and opened (or opened again) once for the changes of one tick:
   * the hooks of a page mounting together open one connection, not one per hook.
   */
  const sync = () => {
    if (carriesNothing(wanted())) return settle();
    if (settling) return;
    settling = true;
    queueMicrotask(() => {
      settling = false;
      settle();
    });
  };

  const followOne = (follow: StreamFollow, onError: (error: DurablyApiError) => void, release: () => void) => {
    follow.count += 1;
    follow.errorListeners.add(onError);
    if (follow.error) onError(follow.error);
    sync();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      follow.errorListeners.delete(onError);
      follow.count -= 1;
      release();
      sync();
    };
  };

  return {
    followRun(follower) {
      run = follower;
      // The follower's snapshots say where its changes start.
      runPosition = null;
      runFinished = false;
      restart = true;
      sync();
      return () => {
        if (run !== follower) return;
        run = null;
        sync();
      };
    },
    followStream(key, onError) {
      let follow = streams.get(key);
      if (!follow) {
        follow = { count: 0, errorListeners: new Set() };
        // Refused here with the engine's answer to it (400 INVALID_PAYLOAD): a connection carrying
        // every stream (`*`) would never name the key, and the hook would just stay empty.
        if (!isStreamKey(key)) follow.error = new DurablyApiError("INVALID_PAYLOAD", invalidStreamKeyMessage(key), 400);
        streams.set(key, follow);
      }
      const current = follow;
      return followOne(current, onError, () => {
        if (current.count === 0 && streams.get(key) === current) streams.delete(key);
      });
    },
    followAllStreams(onError) {
      return followOne(all, onError, () => {
        // A later follower asks again whether the credential may read the run's streams.
        if (all.count === 0) delete all.error;
      });
    },
    expectRun() {
      expected += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        expected -= 1;
        sync();
      };
    },
    followLogs(follower) {
      const own: LogFollower = { ...follower };
      // The open connection has sent lines this follower lacks: it starts again from its cursor
      // (the others skip the lines they hold).
      if (carried?.logs && below(own.after, logsSent)) restart = true;
      logFollowers.add(own);
      sync();
      return () => {
        if (logFollowers.delete(own)) sync();
      };
    },
  };
}

export interface RunConnections {
  /** The connection of `runId` for `api`'s credential, made when first asked for and dropped once idle. */
  of(api: DurablyHttpClient, runId: string): RunConnection;
}

export function createRunConnections(options: Omit<RunConnectionOptions, "api" | "runId" | "onIdle">): RunConnections {
  const connections = new Map<string, RunConnection>();
  return {
    of(api, runId) {
      const id = `${api.baseUrl}\u0000${api.accessToken ?? ""}\u0000${runId}`;
      let connection = connections.get(id);
      if (!connection) {
        const made: RunConnection = createRunConnection({
          ...options, api, runId,
          onIdle: () => connections.get(id) === made && connections.delete(id),
        });
        connections.set(id, (connection = made));
      }
      return connection;
    },
  };
}
