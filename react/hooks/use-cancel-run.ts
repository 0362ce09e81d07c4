import { useMutation, type UseMutationResult } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import type { RunHandle } from "../types.ts";
import { useDurably } from "./use-durably.ts";

/** Cancels an unfinished run. Call `mutate(runId)`. Needs the secret key. */
export function useCancelRun(): UseMutationResult<RunHandle, DurablyApiError, string> {
  const { api, keys, queryClient } = useDurably();
  return useMutation<RunHandle, DurablyApiError, string>(
    {
      mutationFn: (runId) => api.cancelRun(runId),
      // The run changes state: refetch its snapshots so the page (and its live watch) follow.
      onSuccess: (_handle, runId) => void queryClient.invalidateQueries({ queryKey: keys.runScope(runId) }),
    },
    queryClient,
  );
}
