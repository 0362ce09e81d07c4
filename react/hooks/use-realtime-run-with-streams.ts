import { useCallback, useEffect, useState } from "react";
import { useQueries, useQuery } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { EMPTY_STREAM, NO_STREAM_KEYS } from "../client/run-connection.ts";
import type { JsonValue, Run, StreamData, StreamKeys } from "../types.ts";
import { useDurably } from "./use-durably.ts";
import { useRealtimeRun } from "./use-realtime-run.ts";

const NO_KEYS: string[] = [];

export interface RealtimeRunWithStreamsResult<TStreams extends Record<string, unknown>> {
  run: Run | undefined;
  /** Each stream's parts so far, by key, in the order the streams started. */
  streams: { [K in keyof TStreams]?: TStreams[K][] };
  error: DurablyApiError | null;
  /**
   * Streams of the run not in `streams`: one connection carries 32, the first found; 0 unless the
   * run has more. `useRealtimeStream` on one of them brings it on the same connection.
   */
  leftOut: number;
  /** Those streams' keys, as the engine names them. */
  leftOutKeys: string[];
}

/**
 * The run (as `useRealtimeRun`) and every stream it writes, those it starts later included, all
 * on the run's one SSE connection (`?streams=*`), shared with every other hook following the run
 * or its streams: the engine announces each stream as it appears, so nothing is polled and the
 * connection is not opened again for a new stream. It opens once the run's snapshot is in, with
 * the run's changes after it.
 */
export function useRealtimeRunWithStreams<TStreams extends Record<string, unknown> = Record<string, JsonValue>>(
  runId: string | undefined,
): RealtimeRunWithStreamsResult<TStreams> {
  const context = useDurably();
  const { run, error } = useRealtimeRun(runId);
  const keysCacheKey = context.keys.runStreamKeys(runId ?? "");
  const { data: found = NO_STREAM_KEYS } = useQuery<StreamKeys>(
    {
      queryKey: keysCacheKey,
      // The cache entry is written by the run's connection; this only starts it empty.
      queryFn: () => context.queryClient.getQueryData<StreamKeys>(keysCacheKey) ?? NO_STREAM_KEYS,
      enabled: runId !== undefined,
      staleTime: Infinity,
    },
    context.queryClient,
  );
  const [refused, setRefused] = useState<{ runId: string; error: DurablyApiError } | null>(null);
  // The run's connection waits for the run's snapshot, which its changes start after: opened
  // without them first, it would be opened again with them.
  const snapshotComing = runId !== undefined && run === undefined && error === null;
  useEffect(() => {
    if (!snapshotComing || runId === undefined) return;
    return context.live.expectRun(context.api, runId);
  }, [context, runId, snapshotComing]);
  useEffect(() => {
    if (runId === undefined) return;
    return context.live.streams.followAll(context.api, runId, (failure) => setRefused({ runId, error: failure }));
  }, [context, runId]);
  const keys = found.keys;
  const combine = useCallback(
    (results: { data?: StreamData | undefined }[]) => {
      const byKey: Record<string, unknown[]> = {};
      keys.forEach((key, i) => (byKey[key] = (results[i]?.data ?? EMPTY_STREAM).parts.map((part) => part.data)));
      return byKey as RealtimeRunWithStreamsResult<TStreams>["streams"];
    },
    [keys],
  );
  const streams = useQueries(
    {
      queries: keys.map((key) => ({
        queryKey: context.keys.runStream(runId ?? "", key),
        queryFn: () => context.queryClient.getQueryData<StreamData>(context.keys.runStream(runId ?? "", key)) ?? EMPTY_STREAM,
        staleTime: Infinity,
      })),
      combine,
    },
    context.queryClient,
  );
  return { run, streams, leftOut: found.leftOut ?? 0, leftOutKeys: found.leftOutKeys ?? NO_KEYS, error: error ?? (refused !== null && refused.runId === runId ? refused.error : null) };
}
