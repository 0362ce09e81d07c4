import { useMutation, type UseMutationResult } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import type { SendEventRequest, SendEventResult } from "../types.ts";
import { useDurably } from "./use-durably.ts";

/** Sends an event (`POST /api/events`), which starts the v2 jobs it triggers. Needs the secret key. */
export function useSendEvent(): UseMutationResult<SendEventResult, DurablyApiError, SendEventRequest> {
  const { api, queryClient } = useDurably();
  return useMutation<SendEventResult, DurablyApiError, SendEventRequest>(
    { mutationFn: (body) => api.sendEvent(body) },
    queryClient,
  );
}
