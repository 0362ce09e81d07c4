import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import { fetchRunJournal, SNAPSHOT_STALE_MS } from "../queries.ts";
import type { RunJournal } from "../types.ts";
import { queryError, toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";
import { useLiveRun } from "./use-live-run.ts";

export type RunJournalResult = FetchResult<RunJournal>;

/**
 * The run's journal (every recorded io call, in `seq` order) and the run's state it is complete
 * up to (`run`), live while that state is unfinished.
 */
export function useRunJournal(runId: string | undefined): RunJournalResult {
  const context = useDurably();
  const query = useQuery<RunJournal, DurablyApiError>(
    {
      queryKey: context.keys.runJournal(runId ?? ""),
      queryFn: fetchRunJournal(context, runId ?? ""),
      enabled: runId !== undefined,
      staleTime: SNAPSHOT_STALE_MS,
      ...RETRY_UNTIL_ANSWERED,
    },
    context.queryClient,
  );
  const { data } = query;
  const error = queryError(query);
  useLiveRun(runId, data?.run.status);
  return useMemo(() => toFetchResult(data, error, { run: undefined, entries: undefined }), [data, error]);
}
