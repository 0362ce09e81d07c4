import { useEffect, useMemo } from "react";
import { useInfiniteQuery, useQuery, type InfiniteData } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import { normalizeFilters } from "../client/query-keys.ts";
import type { Run, RunCounts, RunFilters, RunsPage, RunStatus } from "../types.ts";
import { queryError, toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";

/** What the counts query keeps: a first page's counts, which of them are estimates and which lower bounds. */
interface PageCounts {
  counts: RunCounts;
  estimated: readonly RunStatus[];
  atLeast: readonly RunStatus[];
}

const NONE: readonly RunStatus[] = [];

export type RunsResult = FetchResult<{ runs: Run[] }> & {
  /** Runs per status for the same filters, status filter left out (so each chip keeps its count). */
  counts: RunCounts | undefined;
  /** Statuses whose count is PostgreSQL's estimate, not an exact count (`RunsPage.estimatedCounts`). */
  estimatedCounts: readonly RunStatus[];
  /** Statuses whose count is a lower bound: counting stopped at a cap (`RunsPage.countsAtLeast`). */
  countsAtLeast: readonly RunStatus[];
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => void;
};

/**
 * A live, paged list of runs, newest first. Pushed changes from `/api/runs/stream` update rows
 * in place, insert runs that start matching the filters and drop those that stop matching.
 */
export function useRuns(filters: RunFilters = {}): RunsResult {
  const { api, keys, queryClient, live } = useDurably();
  const normalized = normalizeFilters(filters);
  const countFilters = normalizeFilters({ ...normalized, status: undefined, limit: undefined });
  const list = useInfiniteQuery<RunsPage, DurablyApiError, InfiniteData<RunsPage, string | null>, readonly unknown[], string | null>(
    {
      queryKey: keys.runList(normalized),
      queryFn: async ({ pageParam, signal }) => {
        const page = await api.listRuns({ ...normalized, cursor: pageParam }, { signal });
        // The engine counts without the status filter, so a first page's counts are the chips' counts.
        if (page.counts) queryClient.setQueryData<PageCounts>(keys.runCounts(countFilters), { counts: page.counts, estimated: page.estimatedCounts, atLeast: page.countsAtLeast });
        return page;
      },
      initialPageParam: null,
      getNextPageParam: (last) => last.nextCursor ?? undefined,
      ...RETRY_UNTIL_ANSWERED,
    },
    queryClient,
  );

  // Seeded by the list; refetched alone (one small request) when pushed changes make it stale.
  const counts = useQuery<PageCounts, DurablyApiError>(
    {
      queryKey: keys.runCounts(countFilters),
      queryFn: async ({ signal }) => {
        const page = await api.listRuns({ ...countFilters, limit: 1 }, { signal });
        return { counts: page.counts!, estimated: page.estimatedCounts, atLeast: page.countsAtLeast };
      },
      enabled: list.data !== undefined,
      staleTime: Number.POSITIVE_INFINITY,
      ...RETRY_UNTIL_ANSWERED,
    },
    queryClient,
  );

  useEffect(() => live.watchRunList(), [live]);

  const { data, hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  const error = queryError(list);
  return useMemo(() => {
    const runs = data ? { runs: data.pages.flatMap((page) => page.data) } : undefined;
    return {
      ...toFetchResult(runs, error, { runs: undefined }),
      counts: counts.data?.counts,
      estimatedCounts: counts.data?.estimated ?? NONE,
      countsAtLeast: counts.data?.atLeast ?? NONE,
      hasNextPage,
      isFetchingNextPage,
      fetchNextPage: () => void fetchNextPage(),
    };
  }, [data, error, counts.data, hasNextPage, isFetchingNextPage, fetchNextPage]);
}
