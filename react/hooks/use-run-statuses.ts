import { useMemo } from "react";
import { queryError, toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useStatusesQuery, type RunStatusesView } from "./use-statuses-query.ts";

export type RunStatusesResult = FetchResult<RunStatusesView>;

/**
 * The statuses of a run (each with its history) and its overview `{ id, status, output }`,
 * kept live over SSE while the run is unfinished.
 */
export function useRunStatuses(runId: string | undefined): RunStatusesResult {
  const query = useStatusesQuery(runId);
  const { data } = query;
  const error = queryError(query);
  return useMemo(() => toFetchResult(data, error, { run: undefined, statuses: undefined }), [data, error]);
}
