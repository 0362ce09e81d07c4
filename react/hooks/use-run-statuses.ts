import { useMemo } from "react";
import { statusesAt } from "../as-of.ts";
import { queryError, toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useStatusesQuery, type RunStatusesView } from "./use-statuses-query.ts";

export type RunStatusesResult = FetchResult<RunStatusesView>;

/**
 * The statuses of a run (each with its history) and its overview `{ id, status, output }`,
 * kept live over SSE while the run is unfinished. With `at`, the statuses as they were at that
 * moment: what a user looking at the run then saw.
 */
export function useRunStatuses(runId: string | undefined, options: { at?: Date | undefined } = {}): RunStatusesResult {
  const query = useStatusesQuery(runId);
  const { data } = query;
  const error = queryError(query);
  const at = options.at?.getTime();
  const view = useMemo(() => (data && at !== undefined ? { ...data, statuses: statusesAt(data.statuses, new Date(at)) } : data), [data, at]);
  return useMemo(() => toFetchResult(view, error, { run: undefined, statuses: undefined }), [view, error]);
}
