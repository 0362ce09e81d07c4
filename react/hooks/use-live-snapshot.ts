import { useQuery, type QueryFunctionContext, type QueryKey } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import type { DurablyContextValue } from "../context.ts";
import { SNAPSHOT_STALE_MS } from "../queries.ts";
import type { RunStatus } from "../types.ts";
import { queryError } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";
import { useLiveRun } from "./use-live-run.ts";

/** Which snapshot of a run: its cache key and how it is fetched. */
export type SnapshotOf<T> = (context: DurablyContextValue, runId: string) => {
  queryKey: QueryKey;
  queryFn: (context: QueryFunctionContext) => Promise<T>;
};

/**
 * One of a run's snapshots (the run itself, its journal, its metadata history), fetched once and
 * kept current over SSE while the run state it is complete up to (`statusOf`) is unfinished.
 */
export function useLiveSnapshot<T>(
  runId: string | undefined,
  snapshotOf: SnapshotOf<T>,
  statusOf: (snapshot: T) => RunStatus,
): { data: T | undefined; error: DurablyApiError | null } {
  const context = useDurably();
  const query = useQuery<T, DurablyApiError>(
    { ...snapshotOf(context, runId ?? ""), enabled: runId !== undefined, staleTime: SNAPSHOT_STALE_MS, ...RETRY_UNTIL_ANSWERED },
    context.queryClient,
  );
  useLiveRun(runId, query.data === undefined ? undefined : statusOf(query.data));
  return { data: query.data, error: queryError(query) };
}
