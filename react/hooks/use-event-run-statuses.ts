import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import { preferNewerSnapshot } from "../client/cache-updates.ts";
import type { DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import type { RunStatusesSnapshot } from "../types.ts";
import { queryError, toFetchResult } from "./fetch-result.ts";
import type { RunStatusesResult } from "./use-run-statuses.ts";
import { useDurably } from "./use-durably.ts";
import { useStatusesQuery } from "./use-statuses-query.ts";

/**
 * The statuses of the first run an event started. The event's snapshot seeds the run's own
 * statuses cache, which then stays live exactly as with `useRunStatuses`.
 */
export function useEventRunStatuses(eventId: string | undefined): RunStatusesResult {
  const { api, keys, queryClient } = useDurably();
  const event = useQuery<string, DurablyApiError>(
    {
      queryKey: keys.eventStatuses(eventId ?? ""),
      queryFn: async ({ signal }) => {
        const snapshot = await api.getEventStatuses(eventId ?? "", { signal });
        const runKey = keys.runStatuses(snapshot.run.id);
        queryClient.setQueryData<RunStatusesSnapshot>(runKey, (cached) => preferNewerSnapshot(cached, snapshot));
        return snapshot.run.id;
      },
      enabled: eventId !== undefined,
      // The first run of an event never changes; its statuses are watched through the run.
      staleTime: Number.POSITIVE_INFINITY,
      ...RETRY_UNTIL_ANSWERED,
    },
    queryClient,
  );
  const statuses = useStatusesQuery(event.data);
  const error = queryError(statuses) ?? queryError(event);
  return useMemo(
    () => toFetchResult(statuses.data, error, { run: undefined, statuses: undefined }),
    [statuses.data, error],
  );
}
