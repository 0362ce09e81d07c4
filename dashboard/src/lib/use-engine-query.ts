import { useInfiniteQuery, useQuery, type InfiniteData, type QueryKey } from "@tanstack/react-query";
import { queryError, RETRY_UNTIL_ANSWERED, useDurably, type DurablyApiError } from "durably/react";

/** What a page shows: the data once read (kept while later reads fail), and why the engine cannot be read. */
export interface EngineQuery<T> {
  data: T | undefined;
  /** Set once the usual retries are spent (a 4xx at once), cleared by the next answer. */
  error: DurablyApiError | null;
  /** Nothing read yet and nothing to say about why. */
  loading: boolean;
}

/**
 * `useQuery` for the engine's routes the hooks do not cover, behaving as the hooks do when the
 * engine cannot be reached: it keeps trying every few seconds until it answers, says why after
 * three retries, and shows the data once the engine is back, without a reload.
 */
export function useEngineQuery<T>(options: {
  queryKey: QueryKey;
  queryFn: (context: { signal: AbortSignal }) => Promise<T>;
  refetchInterval?: number | undefined;
  enabled?: boolean | undefined;
}): EngineQuery<T> {
  const { queryClient } = useDurably();
  const query = useQuery<T, DurablyApiError>({ ...options, ...RETRY_UNTIL_ANSWERED }, queryClient);
  const error = queryError(query);
  return { data: query.data, error, loading: query.data === undefined && error === null && options.enabled !== false };
}

/** `useEngineQuery` for a list read page by page. */
export function useEngineInfiniteQuery<T>(options: {
  queryKey: QueryKey;
  queryFn: (context: { signal: AbortSignal; pageParam: string | null }) => Promise<T>;
  getNextPageParam: (last: T) => string | null;
}): EngineQuery<InfiniteData<T, string | null>> & { fetchNextPage: () => void; hasNextPage: boolean; isFetchingNextPage: boolean } {
  const { queryClient } = useDurably();
  const query = useInfiniteQuery<T, DurablyApiError, InfiniteData<T, string | null>, QueryKey, string | null>(
    { ...options, initialPageParam: null, ...RETRY_UNTIL_ANSWERED },
    queryClient,
  );
  const error = queryError(query);
  return {
    data: query.data, error, loading: query.data === undefined && error === null,
    fetchNextPage: () => void query.fetchNextPage(), hasNextPage: query.hasNextPage, isFetchingNextPage: query.isFetchingNextPage,
  };
}
