import { useQuery, type UseQueryResult } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import { fetchRunStatuses, SNAPSHOT_STALE_MS } from "../queries.ts";
import type { RunStatusesSnapshot, RunSummary, Status } from "../types.ts";
import { useDurably } from "./use-durably.ts";
import { useLiveRun } from "./use-live-run.ts";

export interface RunStatusesView {
  run: RunSummary;
  statuses: Status[];
}

/**
 * Leaves out the revision, which changes with every journal entry: with structural sharing the
 * selected view keeps its identity until a status or the run itself changes, so components
 * that only show statuses do not re-render for unrelated journal entries.
 */
const selectView = (snapshot: RunStatusesSnapshot): RunStatusesView => ({
  run: { id: snapshot.run.id, status: snapshot.run.status, output: snapshot.run.output, wait: snapshot.run.wait ?? null },
  statuses: snapshot.statuses,
});

/** The live statuses of a run; shared by `useRunStatuses` and `useEventRunStatuses`. */
export function useStatusesQuery(runId: string | undefined): UseQueryResult<RunStatusesView, DurablyApiError> {
  const context = useDurably();
  const query = useQuery<RunStatusesSnapshot, DurablyApiError, RunStatusesView>(
    {
      queryKey: context.keys.runStatuses(runId ?? ""),
      queryFn: fetchRunStatuses(context, runId ?? ""),
      enabled: runId !== undefined,
      select: selectView,
      staleTime: SNAPSHOT_STALE_MS,
      ...RETRY_UNTIL_ANSWERED,
    },
    context.queryClient,
  );
  useLiveRun(runId, query.data?.run.status);
  return query;
}
