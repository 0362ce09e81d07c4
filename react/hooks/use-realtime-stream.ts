import { useEffect, useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { createHttpClient, type DurablyApiError } from "../client/http-client.ts";
import { EMPTY_STREAM } from "../client/run-connection.ts";
import { DEFAULT_STREAM_KEY, type JsonValue, type StreamData, type StreamEnd } from "../types.ts";
import { useDurably } from "./use-durably.ts";

export interface UseRealtimeStreamOptions {
  /** A public access token that may read the run; the provider's credential when left out. */
  accessToken?: string | undefined;
  /** False: follow nothing (yet). */
  enabled?: boolean | undefined;
}

export interface RealtimeStreamResult<T> {
  /** The stream's chunks so far, oldest first; chunks a replay superseded are dropped as the reset comes. */
  parts: T[];
  /** The credential may not read the stream (403), or the run or key is unknown (404, 400). */
  error: DurablyApiError | null;
  /** The run finished and every chunk has arrived. */
  end: StreamEnd | null;
}

/**
 * A run's stream (`streams.define({ id })`, `streams.append(key, …)`; `key` "default" when left
 * out), kept current over the run's SSE connection for the credential: one connection carries
 * the run's changes (when a hook follows them) and every stream of the run hooks follow.
 * A dropped connection resumes after the last chunk taken; a `reset` (a failed step's chunks
 * superseded on replay) drops the parts it names, so `parts` ends as an uninterrupted run's.
 */
export function useRealtimeStream<T = JsonValue>(
  runId: string | undefined, key: string = DEFAULT_STREAM_KEY, options: UseRealtimeStreamOptions = {},
): RealtimeStreamResult<T> {
  const context = useDurably();
  const { accessToken, enabled = true } = options;
  const api = useMemo(
    () => (accessToken === undefined || accessToken === context.api.accessToken ? context.api : createHttpClient({ baseUrl: context.api.baseUrl, accessToken })),
    [context.api, accessToken],
  );
  const active = enabled && runId !== undefined;
  const cacheKey = context.keys.runStream(runId ?? "", key);
  const { data } = useQuery<StreamData>(
    {
      queryKey: cacheKey,
      // The cache entry is written by the stream's follower; this only starts it empty.
      queryFn: () => context.queryClient.getQueryData<StreamData>(cacheKey) ?? EMPTY_STREAM,
      enabled: active,
      staleTime: Infinity,
    },
    context.queryClient,
  );
  const [error, setError] = useState<{ id: string; error: DurablyApiError } | null>(null);
  const followId = `${api.accessToken ?? ""}\u0000${runId}\u0000${key}`;
  useEffect(() => {
    if (!active || runId === undefined) return;
    return context.live.streams.follow(api, runId, key, (failure) => setError({ id: followId, error: failure }));
  }, [active, api, context.live, runId, key, followId]);
  const stream = data ?? EMPTY_STREAM;
  const parts = useMemo(() => stream.parts.map((part) => part.data as T), [stream.parts]);
  return { parts, error: error?.id === followId ? error.error : null, end: stream.end };
}
