import type { QueryClient } from "@tanstack/react-query";
import type { StreamData } from "../types.ts";
import { subscribeToChunkStream } from "./chunk-stream.ts";
import type { DurablyApiError, DurablyHttpClient } from "./http-client.ts";
import type { DurablyKeys } from "./query-keys.ts";
import type { EventSourceFactory } from "./run-stream.ts";

export const EMPTY_STREAM: StreamData = { parts: [], lastEventId: null, end: null };

export interface StreamFollows {
  /**
   * Follows a run's stream into its cache entry (`keys.runStream`) until the returned function is
   * called. Hooks following the same stream share one connection; a stream followed again later
   * resumes after what the cache holds. `onError` hears a stream the credential may not read.
   */
  follow(api: DurablyHttpClient, runId: string, key: string, onError: (error: DurablyApiError) => void): () => void;
}

interface Follow {
  count: number;
  stop: () => void;
  errorListeners: Set<(error: DurablyApiError) => void>;
  /** Why the stream cannot be read, for followers joining after it was learned. */
  error?: DurablyApiError;
}

/** Folds a chunk into the parts: a chunk at or below one held (re-sent after a reconnect) changes nothing. */
export function addPart(data: StreamData, part: StreamData["parts"][number], eventId: string): StreamData {
  const last = data.parts.at(-1);
  if (last && last.index >= part.index) return { ...data, lastEventId: eventId };
  return { ...data, parts: [...data.parts, part], lastEventId: eventId };
}

/** A reset drops every part from `fromIndex` on: those chunks were superseded by a replay. */
export function resetParts(data: StreamData, fromIndex: number, eventId: string): StreamData {
  return { ...data, parts: data.parts.filter((part) => part.index < fromIndex), lastEventId: eventId };
}

export function createStreamFollows(options: { queryClient: QueryClient; keys: DurablyKeys; createEventSource?: EventSourceFactory | undefined }): StreamFollows {
  const { queryClient, keys, createEventSource } = options;
  const follows = new Map<string, Follow>();

  const start = (api: DurablyHttpClient, runId: string, key: string, follow: Follow) => {
    const cacheKey = keys.runStream(runId, key);
    const update = (apply: (data: StreamData) => StreamData) =>
      queryClient.setQueryData<StreamData>(cacheKey, (data) => apply(data ?? EMPTY_STREAM));
    const held = queryClient.getQueryData<StreamData>(cacheKey);
    if (held?.end) return () => undefined;
    const path = `/api/runs/${encodeURIComponent(runId)}/streams/${encodeURIComponent(key)}/stream`;
    return subscribeToChunkStream({
      url: (lastEventId) => api.streamUrl(path, { lastEventId }),
      lastEventId: held?.lastEventId ?? null,
      onChunk: (part, id) => update((data) => addPart(data, part, id)),
      onReset: (fromIndex, id) => update((data) => resetParts(data, fromIndex, id)),
      onEnd: (end) => update((data) => ({ ...data, end })),
      // EventSource tells no status: a stream that never opened is asked why (a 403, a 404, a bad
      // key) before it is tried again, and one the credential cannot read is not.
      mayRetry: () =>
        api.getRunStream(runId, key, { after: Number.MAX_SAFE_INTEGER, limit: 1 }).then(
          () => true,
          (error: DurablyApiError) => {
            if (error.status < 400 || error.status >= 500) return true;
            follow.error = error;
            for (const listener of follow.errorListeners) listener(error);
            return false;
          },
        ),
      createEventSource,
    });
  };

  return {
    follow(api, runId, key, onError) {
      const id = `${api.baseUrl}\u0000${api.accessToken ?? ""}\u0000${runId}\u0000${key}`;
      let follow = follows.get(id);
      if (!follow) {
        const created: Follow = { count: 0, stop: () => undefined, errorListeners: new Set() };
        created.stop = start(api, runId, key, created);
        follows.set(id, created);
        follow = created;
      }
      const current = follow;
      current.count += 1;
      current.errorListeners.add(onError);
      if (current.error) onError(current.error);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        current.errorListeners.delete(onError);
        current.count -= 1;
        if (current.count > 0) return;
        current.stop();
        if (follows.get(id) === current) follows.delete(id);
      };
    },
  };
}
