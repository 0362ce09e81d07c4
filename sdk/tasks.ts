import { requireScope } from "./context.ts";
import type { Task } from "./task.ts";
import { triggersFor, type BatchAndWaitResult, type BatchHandle, type BatchItem, type RunHandle } from "./trigger.ts";
import type { TriggerOptions } from "./types.ts";

/** Any task, for `typeof myTask` type arguments; without one, `tasks` take any id and payload. */
export type AnyTask = Task<unknown, unknown, string>;

export type TaskIdentifier<TTask extends AnyTask> = TTask extends Task<unknown, unknown, infer TId> ? TId : never;
export type TaskPayload<TTask extends AnyTask> = TTask extends Task<infer TPayload, unknown, string> ? TPayload : never;
export type TaskOutput<TTask extends AnyTask> = TTask extends Task<unknown, infer TOutput, string> ? TOutput : never;

/**
 * Triggering by task id, as Trigger.dev's `tasks`: the task's code need not be imported, so a
 * backend does not bundle it and its dependencies. Import its type only for type checking:
 * `tasks.trigger<typeof emailTask>("send-email", payload)`. The run gets the task's latest
 * registered version; its payload is checked against the task's schema by whoever has the code:
 * the engine answering over HTTP at once, or the worker when the run starts.
 */
export const tasks = {
  trigger<TTask extends AnyTask = AnyTask>(
    id: TaskIdentifier<TTask>,
    payload: TaskPayload<TTask>,
    options?: TriggerOptions,
  ): Promise<RunHandle<TaskPayload<TTask>, TaskOutput<TTask>>> {
    return byId<TaskPayload<TTask>>(id).trigger(payload, options);
  },
  /** One run per item, all in one transaction. */
  batchTrigger<TTask extends AnyTask = AnyTask>(
    id: TaskIdentifier<TTask>,
    items: BatchItem<TaskPayload<TTask>>[],
  ): Promise<BatchHandle<RunHandle<TaskPayload<TTask>, TaskOutput<TTask>>>> {
    return byId<TaskPayload<TTask>>(id).batchTrigger(items);
  },
  /** Inside a run: one child per item, as a batch, waited for; `runs` in item order, `id` the batch's. */
  async batchTriggerAndWait<TTask extends AnyTask = AnyTask>(
    id: TaskIdentifier<TTask>,
    items: BatchItem<TaskPayload<TTask>>[],
  ): Promise<BatchAndWaitResult<TaskOutput<TTask>>> {
    const scope = requireScope("tasks.batchTriggerAndWait");
    return (await byId<TaskPayload<TTask>>(id).batchAndWait(scope, items)) as BatchAndWaitResult<TaskOutput<TTask>>;
  },
};

function byId<TPayload>(taskId: string) {
  return triggersFor<TPayload>(taskId, (payload, options) => ({ taskId, payload, ...(options ? { options } : {}) }));
}
