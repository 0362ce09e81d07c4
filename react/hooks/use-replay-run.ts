import { useMutation, type UseMutationResult } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import type { RunHandle } from "../types.ts";
import { useDurably } from "./use-durably.ts";

/** Starts a new run of the same task with the same payload. Call `mutate(runId)`. Needs the secret key. */
export function useReplayRun(): UseMutationResult<RunHandle, DurablyApiError, string> {
  const { api, queryClient } = useDurably();
  return useMutation<RunHandle, DurablyApiError, string>(
    {
      mutationFn: (runId) => api.replayRun(runId),
    },
    queryClient,
  );
}
