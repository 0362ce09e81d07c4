import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import { fetchRun, SNAPSHOT_STALE_MS } from "../queries.ts";
import type { Run } from "../types.ts";
import { queryError, toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";
import { useLiveRun } from "./use-live-run.ts";

export type RealtimeRunResult = FetchResult<{ run: Run }>;

/** The whole run, including its live `metadata`, kept current over SSE while it is unfinished. */
export function useRealtimeRun(runId: string | undefined): RealtimeRunResult {
  const context = useDurably();
  const query = useQuery<Run, DurablyApiError>(
    {
      queryKey: context.keys.run(runId ?? ""),
      queryFn: fetchRun(context, runId ?? ""),
      enabled: runId !== undefined,
      staleTime: SNAPSHOT_STALE_MS,
      ...RETRY_UNTIL_ANSWERED,
    },
    context.queryClient,
  );
  const { data } = query;
  const error = queryError(query);
  useLiveRun(runId, data?.status);
  return useMemo(() => toFetchResult(data ? { run: data } : undefined, error, { run: undefined }), [data, error]);
}
