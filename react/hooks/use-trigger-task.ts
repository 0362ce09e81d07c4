import { useMutation, type UseMutationResult } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import type { RunHandle, TriggerTaskRequest } from "../types.ts";
import { useDurably } from "./use-durably.ts";

export interface TriggerTaskVariables extends TriggerTaskRequest {
  taskId: string;
}

/** Triggers a task (`POST /api/tasks/:id/trigger`); resolves to the new run's id. Needs the secret key. */
export function useTriggerTask(): UseMutationResult<RunHandle, DurablyApiError, TriggerTaskVariables> {
  const { api, queryClient } = useDurably();
  return useMutation<RunHandle, DurablyApiError, TriggerTaskVariables>(
    { mutationFn: ({ taskId, ...body }) => api.triggerTask(taskId, body) },
    queryClient,
  );
}
