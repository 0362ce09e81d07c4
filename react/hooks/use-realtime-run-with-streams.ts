import { useCallback, useEffect, useMemo } from "react";
import { useQueries, useQuery } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import { queryError } from "./fetch-result.ts";
import { EMPTY_STREAM } from "../client/run-connection.ts";
import { isFinalRunStatus, type JsonValue, type Run, type StreamData, type StreamInfo } from "../types.ts";
import { useDurably } from "./use-durably.ts";
import { useRealtimeRun } from "./use-realtime-run.ts";

/** A run's streams can start without a change to the run: the list is looked at this often while it runs. */
const STREAM_LIST_REFRESH_MS = 1_000;

export interface RealtimeRunWithStreamsResult<TStreams extends Record<string, unknown>> {
  run: Run | undefined;
  /** Each stream's parts so far, by key, in the order the streams started. */
  streams: { [K in keyof TStreams]?: TStreams[K][] };
  error: DurablyApiError | null;
}

/**
 * The run (as `useRealtimeRun`) and every stream it writes, all on the run's one SSE connection,
 * shared with every other hook following the run or its streams.
 */
export function useRealtimeRunWithStreams<TStreams extends Record<string, unknown> = Record<string, JsonValue>>(
  runId: string | undefined,
): RealtimeRunWithStreamsResult<TStreams> {
  const context = useDurably();
  const { run, error } = useRealtimeRun(runId);
  const running = run !== undefined && !isFinalRunStatus(run.status);
  const list = useQuery<{ data: StreamInfo[] }, DurablyApiError>(
    {
      queryKey: context.keys.runStreams(runId ?? ""),
      queryFn: ({ signal }) => context.api.listRunStreams(runId ?? "", { signal }),
      enabled: runId !== undefined && run !== undefined,
      refetchInterval: running ? STREAM_LIST_REFRESH_MS : false,
      ...RETRY_UNTIL_ANSWERED,
    },
    context.queryClient,
  );
  // A finished run's last streams may have started after the last look.
  const status = run?.status;
  useEffect(() => {
    if (runId !== undefined && status !== undefined && isFinalRunStatus(status)) {
      void context.queryClient.invalidateQueries({ queryKey: context.keys.runStreams(runId), exact: true });
    }
  }, [context, runId, status]);
  const keys = useMemo(() => (list.data?.data ?? []).map((info) => info.key), [list.data]);
  const keysText = keys.join("\u0000");
  useEffect(() => {
    if (runId === undefined || keysText === "") return;
    const stops = keysText.split("\u0000").map((key) => context.live.streams.follow(context.api, runId, key, () => undefined));
    return () => stops.forEach((stop) => stop());
  }, [context, runId, keysText]);
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
  return { run, streams, error: error ?? queryError(list) };
}
