import { useMutation } from "@tanstack/react-query";
import type { DurablyApiError } from "../client/http-client.ts";
import type { JsonValue, RunHandle, TriggerOptions } from "../types.ts";
import { useApi } from "./use-api.ts";
import { useDurably } from "./use-durably.ts";

/** A task's payload when the hook is given `typeof myTask` (read from its `trigger`), else any JSON value. */
export type TaskTriggerPayload<TTask> = TTask extends { trigger(payload: infer P, ...rest: never[]): unknown } ? P : JsonValue;

export interface TaskTriggerOptions {
  /** A trigger token for this task (`auth.createTriggerPublicToken(taskId)`); without one, the provider's token. */
  accessToken?: string | undefined;
}

/** Trigger.dev's `useTaskTrigger` result. */
export interface TaskTriggerResult<TTask> {
  /** Starts a run; a single-use token is spent by the first. */
  submit(payload: TaskTriggerPayload<TTask>, options?: TriggerOptions): void;
  isLoading: boolean;
  /** The started run: its id and a token that reads it only. */
  handle: RunHandle | undefined;
  error: DurablyApiError | undefined;
}

/** Starts runs of `taskId` from a browser with a trigger token (Trigger.dev's `useTaskTrigger`). */
export function useTaskTrigger<TTask = unknown>(taskId: string, options: TaskTriggerOptions = {}): TaskTriggerResult<TTask> {
  const api = useApi(options.accessToken);
  const { queryClient } = useDurably();
  const mutation = useMutation<RunHandle, DurablyApiError, { payload: TaskTriggerPayload<TTask>; options?: TriggerOptions | undefined }>(
    { mutationFn: ({ payload, options: trigger }) => api.triggerTask(taskId, { payload: payload as JsonValue, ...(trigger ? { options: trigger } : {}) }) },
    queryClient,
  );
  return {
    submit: (payload, trigger) => mutation.mutate({ payload, options: trigger }),
    isLoading: mutation.isPending,
    handle: mutation.data,
    error: mutation.error ?? undefined,
  };
}
