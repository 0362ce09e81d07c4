import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { retryUnlessClientError } from "../client/query-client.ts";
import { fetchRunMetadataHistory, SNAPSHOT_STALE_MS } from "../queries.ts";
import type { MetadataChange, MetadataHistory } from "../types.ts";
import { toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";
import { useRunState } from "./use-run-state.ts";

export type RunMetadataHistoryResult = FetchResult<{ changes: MetadataChange[] }>;

/** Every change to the run's metadata, oldest first; refreshed as metadata writes are pushed. */
export function useRunMetadataHistory(runId: string | undefined): RunMetadataHistoryResult {
  const context = useDurably();
  const { data, error } = useQuery<MetadataHistory, DurablyApiError>(
    {
      queryKey: context.keys.runMetadataHistory(runId ?? ""),
      queryFn: fetchRunMetadataHistory(context, runId ?? ""),
      enabled: runId !== undefined,
      staleTime: SNAPSHOT_STALE_MS,
      retry: retryUnlessClientError,
    },
    context.queryClient,
  );
  useRunState(runId);
  return useMemo(() => toFetchResult(data, error, { changes: undefined }), [data, error]);
}
