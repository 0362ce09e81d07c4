import { useEffect, useMemo } from "react";
import { useInfiniteQuery, useQuery, type InfiniteData } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { retryUnlessClientError } from "../client/query-client.ts";
import { normalizeFilters } from "../client/query-keys.ts";
import type { Run, RunCounts, RunFilters, RunsPage } from "../types.ts";
import { toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";

export type RunsResult = FetchResult<{ runs: Run[] }> & {
  /** Runs per status for the same filters, status filter left out (so each chip keeps its count). */
  counts: RunCounts | undefined;
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
  const list = useInfiniteQuery<RunsPage, DurablyApiError, InfiniteData<RunsPage, string | null>, readonly unknown[], string | null>(
    {
      queryKey: keys.runList(normalized),
      queryFn: ({ pageParam, signal }) => api.listRuns({ ...normalized, cursor: pageParam }, { signal }),
      initialPageParam: null,
      getNextPageParam: (last) => last.nextCursor ?? undefined,
      retry: retryUnlessClientError,
    },
    queryClient,
  );

  const countFilters = normalizeFilters({ ...normalized, status: undefined, limit: undefined });
  const counts = useQuery<RunCounts, DurablyApiError>(
    {
      queryKey: keys.runCounts(countFilters),
      queryFn: async ({ signal }) => (await api.listRuns({ ...countFilters, limit: 1 }, { signal })).counts,
      retry: retryUnlessClientError,
    },
    queryClient,
  );

  useEffect(() => live.watchRunList(), [live]);

  const { data, error, hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  return useMemo(() => {
    const runs = data ? { runs: data.pages.flatMap((page) => page.data) } : undefined;
    return {
      ...toFetchResult(runs, error, { runs: undefined }),
      counts: counts.data,
      hasNextPage,
      isFetchingNextPage,
      fetchNextPage: () => void fetchNextPage(),
    };
  }, [data, error, counts.data, hasNextPage, isFetchingNextPage, fetchNextPage]);
}
