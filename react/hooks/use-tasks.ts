import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import type { TaskInfo } from "../types.ts";
import { queryError, toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";

export type TasksResult = FetchResult<{ tasks: TaskInfo[] }>;

/** Tasks and v2 jobs the engine knows; they only change when the engine restarts with new code. */
export function useTasks(): TasksResult {
  const { api, keys, queryClient } = useDurably();
  const query = useQuery<{ data: TaskInfo[] }, DurablyApiError>(
    {
      queryKey: keys.tasks(),
      queryFn: ({ signal }) => api.listTasks({ signal }),
      staleTime: 60_000,
      ...RETRY_UNTIL_ANSWERED,
    },
    queryClient,
  );
  const { data } = query;
  const error = queryError(query);
  return useMemo(() => toFetchResult(data ? { tasks: data.data } : undefined, error, { tasks: undefined }), [data, error]);
}
