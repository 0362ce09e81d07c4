import { useQuery } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { retryUnlessClientError } from "../client/query-client.ts";
import { fetchRun, SNAPSHOT_STALE_MS } from "../queries.ts";
import type { Run, RunStatus } from "../types.ts";
import { useDurably } from "./use-durably.ts";
import { useLiveRun } from "./use-live-run.ts";

const selectStatus = (run: Run): RunStatus => run.status;

/**
 * For hooks whose own snapshot does not say whether the run is finished (journal, metadata
 * history): reads the run's state, shares its cache entry, and keeps the run live.
 */
export function useRunState(runId: string | undefined): RunStatus | undefined {
  const context = useDurably();
  const { data } = useQuery<Run, DurablyApiError, RunStatus>(
    {
      queryKey: context.keys.run(runId ?? ""),
      queryFn: fetchRun(context, runId ?? ""),
      enabled: runId !== undefined,
      select: selectStatus,
      staleTime: SNAPSHOT_STALE_MS,
      retry: retryUnlessClientError,
    },
    context.queryClient,
  );
  useLiveRun(runId, data);
  return data;
}
