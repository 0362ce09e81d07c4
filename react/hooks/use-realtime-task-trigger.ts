import { useEffect, useMemo, useState } from "react";
import { createHttpClient, type DurablyApiError } from "../client/http-client.ts";
import { watchRun } from "../client/run-list.ts";
import type { Run } from "../types.ts";
import { useDurably } from "./use-durably.ts";
import { useTaskTrigger, type TaskTriggerOptions, type TaskTriggerResult } from "./use-task-trigger.ts";

/** Trigger.dev's `useRealtimeTaskTrigger` result: the trigger, and the started run kept current. */
export interface RealtimeTaskTriggerResult<TTask> extends TaskTriggerResult<TTask> {
  run: Run | undefined;
}

/**
 * `useTaskTrigger`, then the run it started followed live with the token the trigger returned
 * (which reads that run only; the provider's token when the trigger returned none).
 */
export function useRealtimeTaskTrigger<TTask = unknown>(taskId: string, options: TaskTriggerOptions = {}): RealtimeTaskTriggerResult<TTask> {
  const trigger = useTaskTrigger<TTask>(taskId, options);
  const { api, createEventSource } = useDurably();
  const { handle } = trigger;
  const runApi = useMemo(
    () => (handle?.publicAccessToken ? createHttpClient({ baseUrl: api.baseUrl, accessToken: handle.publicAccessToken }) : api),
    [api, handle?.publicAccessToken],
  );
  const [followed, setFollowed] = useState<{ id: string; run?: Run; error?: DurablyApiError }>();
  useEffect(() => {
    if (!handle) return;
    const id = handle.id;
    setFollowed({ id });
    return watchRun(runApi, id, (run) => setFollowed({ id, run }), (error) => setFollowed({ id, error }), createEventSource);
  }, [runApi, handle, createEventSource]);
  const current = followed && followed.id === handle?.id ? followed : undefined;
  return { ...trigger, run: current?.run, error: trigger.error ?? current?.error };
}
