import { useEffect, useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import type { DurablyEvent } from "../types.ts";
import { queryError, toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";

export type EventResult = FetchResult<{ event: DurablyEvent }>;

/** An event (name, payload) and the runs it started, whose states stay live. */
export function useEvent(eventId: string | undefined): EventResult {
  const { api, keys, queryClient, live } = useDurably();
  const query = useQuery<DurablyEvent, DurablyApiError>(
    {
      queryKey: keys.event(eventId ?? ""),
      queryFn: ({ signal }) => api.getEvent(eventId ?? "", { signal }),
      enabled: eventId !== undefined,
      ...RETRY_UNTIL_ANSWERED,
    },
    queryClient,
  );
  const { data } = query;
  const error = queryError(query);
  useEffect(() => live.watchRunList(), [live]);
  return useMemo(() => toFetchResult(data ? { event: data } : undefined, error, { event: undefined }), [data, error]);
}
