import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { changesUntil } from "../as-of.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import { fetchRunMetadataHistory, SNAPSHOT_STALE_MS } from "../queries.ts";
import type { MetadataHistory } from "../types.ts";
import { queryError, toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";
import { useLiveRun } from "./use-live-run.ts";

export type RunMetadataHistoryResult = FetchResult<MetadataHistory>;

/**
 * Every change to the run's metadata, oldest first, and the run's state it is complete up to
 * (`run`); refreshed as metadata writes are pushed while that state is unfinished. With `at`, only
 * the changes committed by then: the last one's `metadata` is the metadata at that moment.
 */
export function useRunMetadataHistory(runId: string | undefined, options: { at?: Date | undefined } = {}): RunMetadataHistoryResult {
  const context = useDurably();
  const query = useQuery<MetadataHistory, DurablyApiError>(
    {
      queryKey: context.keys.runMetadataHistory(runId ?? ""),
      queryFn: fetchRunMetadataHistory(context, runId ?? ""),
      enabled: runId !== undefined,
      staleTime: SNAPSHOT_STALE_MS,
      ...RETRY_UNTIL_ANSWERED,
    },
    context.queryClient,
  );
  const { data } = query;
  const error = queryError(query);
  useLiveRun(runId, data?.run.status);
  const at = options.at?.getTime();
  const view = useMemo(() => (data && at !== undefined ? { ...data, changes: changesUntil(data.changes, new Date(at)) } : data), [data, at]);
  return useMemo(() => toFetchResult(view, error, { run: undefined, changes: undefined }), [view, error]);
}
