/**
 * One SSE connection per run and credential, carrying the run's changes for `useRealtimeRun` and
 * the other run hooks, and the chunks of every stream of the run a hook follows
 * (`GET /api/runs/:id/stream?streams=a,b`, docs/http-api.md).
 */
import type { QueryClient } from "@tanstack/react-query";
import type { RunStreamMessage, StreamData, StreamEnd, StreamPart } from "../types.ts";
import type { DurablyApiError, DurablyHttpClient } from "./http-client.ts";
import type { DurablyKeys } from "./query-keys.ts";
import { parseMessage } from "./run-stream.ts";
import { createSseReader, type EventSourceFactory, type SseReader } from "./sse-reader.ts";

export const EMPTY_STREAM: StreamData = { parts: [], lastEventId: null, end: null };

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

export interface RunConnection {
  /** Carries the run's changes to `follower` until the returned function is called. */
  followRun(follower: RunFollower): () => void;
  /**
   * Carries the stream `key` into its cache entry (`keys.runStream`) until the returned function
   * is called; a stream followed again later resumes after what the cache holds. `onError` hears
   * a stream the credential may not read.
   */
  followStream(key: string, onError: (error: DurablyApiError) => void): () => void;
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

/** What a connection carries: the run's changes or not, and which streams, in the order of its `?streams=`. */
interface Carried {
  run: boolean;
  keys: string[];
}

const sameCarried = (a: Carried, b: Carried) => a.run === b.run && a.keys.join(",") === b.keys.join(",");

/**
 * The connection is opened with what its followers want, and opened again (once for the changes
 * made together) when that changes, resuming every part of it: the run after the last id taken
 * while it was carried (or the follower's snapshot), each stream after the last chunk its cache
 * holds. Events ids hold every position (`<run>_<resets>.<index>_…`).
 */
export function createRunConnection(options: RunConnectionOptions): RunConnection {
  const { api, runId, queryClient, keys, createEventSource } = options;
  let run: RunFollower | null = null;
  const streams = new Map<string, StreamFollow>();
  let reader: SseReader | null = null;
  /** What the open connection carries; null while none is open. */
  let carried: Carried | null = null;
  /** The run's part of the last id taken while the run was carried: where its changes resume. */
  let runPosition: string | null = null;
  let settling = false;
  /** A run follower joined with its own starting point: the open connection must start again from it. */
  let restart = false;

  const streamData = (key: string) => queryClient.getQueryData<StreamData>(keys.runStream(runId, key));
  const updateStream = (key: string, apply: (data: StreamData) => StreamData) =>
    queryClient.setQueryData<StreamData>(keys.runStream(runId, key), (data) => apply(data ?? EMPTY_STREAM));

  const wanted = (): Carried => ({
    run: run !== null,
    keys: [...streams].filter(([key, follow]) => follow.count > 0 && !follow.error && !streamData(key)?.end).map(([key]) => key),
  });

  const url = (): string => {
    const next = wanted();
    carried = next;
    const path = `/api/runs/${encodeURIComponent(runId)}/stream`;
    const since = run?.since ?? null;
    if (next.keys.length === 0) return api.streamUrl(path, runPosition !== null ? { lastEventId: runPosition } : { since });
    const held = next.keys.map((key) => streamData(key)?.lastEventId ?? null);
    const query = `streams=${next.keys.map(encodeURIComponent).join(",")}${next.run ? "" : "&run=0"}`;
    const runPart = next.run ? runPosition : null;
    // Each stream's position after the run's (left empty for `since`); none at all for a first connection.
    const lastEventId = runPart === null && held.every((id) => id === null) ? null : `${runPart ?? ""}${held.map((id) => `_${id ?? "0.0"}`).join("")}`;
    return api.streamUrl(`${path}?${query}`, { lastEventId, since: runPart === null ? since : null });
  };

  /** The part of an event's id at `i` (0: the run's; 1…: the carried streams', in order). */
  const partOf = (id: string, i: number) => id.split("_")[i] ?? "";

  const onRunEvent = (type: "run" | "journal" | "metadata") => (data: unknown, id: string) => {
    if (!carried?.run || !run) return;
    if (id) runPosition = partOf(id, 0);
    const message = parseMessage(type, data);
    if (message) run.onMessage(message);
  };
  const onStreamEvent = (apply: (key: string, data: Record<string, unknown>, position: string) => void) => (data: unknown, id: string) => {
    const body = data as Record<string, unknown>;
    const key = body.key as string;
    const at = carried?.keys.indexOf(key) ?? -1;
    if (at < 0) return;
    if (carried?.run && id) runPosition = partOf(id, 0);
    apply(key, body, partOf(id, at + 1));
  };

  const open = () =>
    createSseReader({
      url,
      on: {
        run: onRunEvent("run"),
        journal: onRunEvent("journal"),
        metadata: onRunEvent("metadata"),
        chunk: onStreamEvent((key, body, position) => updateStream(key, (data) => addPart(data, { index: body.index as number, data: body.data as StreamPart["data"] }, position))),
        reset: onStreamEvent((key, body, position) => updateStream(key, (data) => resetParts(data, body.fromIndex as number, position))),
        "stream-end": onStreamEvent((key, body) => updateStream(key, (data) => ({ ...data, end: body as unknown as StreamEnd }))),
        // The run finished and every stream carried was sent to its end: the connection is over.
        end: () => {
          reader?.stop();
          reader = null;
          carried = null;
          const follower = run;
          run = null;
          runPosition = null;
          follower?.onMessage({ type: "end" });
          follower?.onEnd();
          sync();
        },
      },
      mayRetry,
      createEventSource,
    });

  // EventSource tells no status: a connection that never opened asks why of each stream it
  // carries (a 403, a 404, a bad key) before it is tried again, and drops those it cannot read.
  const mayRetry = async (): Promise<boolean> => {
    for (const key of carried?.keys ?? []) {
      const follow = streams.get(key);
      if (!follow) continue;
      await api.getRunStream(runId, key, { after: Number.MAX_SAFE_INTEGER, limit: 1 }).catch((error: DurablyApiError) => {
        if (error.status < 400 || error.status >= 500) return;
        follow.error = error;
        for (const listener of follow.errorListeners) listener(error);
      });
    }
    const next = wanted();
    if (next.run || next.keys.length > 0) return true;
    settle();
    return false;
  };

  /** Opens, reopens or closes the connection for what is wanted now. */
  const settle = () => {
    const next = wanted();
    if (!next.run && next.keys.length === 0) {
      reader?.stop();
      reader = null;
      carried = null;
      if (run === null && streams.size === 0) options.onIdle();
    } else if (!reader) {
      restart = false;
      reader = open();
    } else if (restart || !carried || !sameCarried(carried, next)) {
      restart = false;
      reader.reconnect();
    }
  };
  /**
   * A connection is opened or closed at once; one that is open is opened again once for the
   * changes of one tick (the hooks of a page mounting together), not once per change.
   */
  const sync = () => {
    const next = wanted();
    if (!reader || (!next.run && next.keys.length === 0)) return settle();
    if (settling) return;
    settling = true;
    queueMicrotask(() => {
      settling = false;
      settle();
    });
  };

  return {
    followRun(follower) {
      run = follower;
      // The follower's snapshots say where its changes start.
      runPosition = null;
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
      if (!follow) streams.set(key, (follow = { count: 0, errorListeners: new Set() }));
      const current = follow;
      current.count += 1;
      current.errorListeners.add(onError);
      if (current.error) onError(current.error);
      sync();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        current.errorListeners.delete(onError);
        current.count -= 1;
        if (current.count === 0 && streams.get(key) === current) streams.delete(key);
        sync();
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
