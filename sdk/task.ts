import type { TriggerRequest } from "./backend.ts";
import { requireScope, type IO, type RunContext } from "./context.ts";
import { DEFINITIONS, type Definable } from "./definable.ts";
import { registerDefinition, validatePayload, type Definition, type PayloadSchema } from "./definition.ts";
import { RunFailedError } from "./errors.ts";
import type { LifecycleHooks } from "./hooks.ts";
import { maxDurationMs } from "./max-duration.ts";
import { resolveQueue, type QueueOptions } from "./queue.ts";
import { retentionMs, type RetentionOptions } from "./retention.ts";
import { resolveRetry, type RetryOptions } from "./retry.ts";
import { triggersFor, type BatchAndWaitResult, type BatchHandle, type BatchItem, type RunHandle } from "./trigger.ts";
export type { BatchHandle };
import type { TriggerOptions } from "./types.ts";

export type { BatchItem, RunHandle } from "./trigger.ts";

export interface TaskRunContext {
  ctx: RunContext;
  io: IO;
}

export interface TaskOptions<TPayload, TOutput, TId extends string = string> extends LifecycleHooks<TPayload, TOutput> {
  id: TId;
  /** Runs keep the version they started with; default "1". */
  version?: string | undefined;
  schema?: PayloadSchema | undefined;
  /**
   * How often the run's code is tried when it throws outside `io.runTask`, and each step's policy
   * unless the step names its own; default 3 attempts, `maxAttempts: 1` never retries.
   */
  retry?: RetryOptions | undefined;
  /**
   * At most `concurrencyLimit` runs of this queue execute at once, and at most `rateLimit.limit`
   * start in any `rateLimit.period`, across all workers; tasks naming the same queue share its
   * limits, and each trigger's `concurrencyKey` gets limits of its own.
   */
  queue?: QueueOptions | undefined;
  /**
   * Fail a run with `MAX_DURATION_EXCEEDED` once it has executed this many seconds, summed over its
   * executions (time WAITING or QUEUED does not count); a trigger's `maxDuration` overrides it.
   */
  maxDuration?: number | undefined;
  /**
   * Purge this task's finished runs this long after they finished (seconds, or "30d"), instead
   * of the engine's `retention`; `{ runs: "30d", keepStatusHistory: "1y" }` also keeps their
   * status and metadata history that long after they finished. See docs/retention.md.
   */
  retention?: RetentionOptions | undefined;
  /** Fires a run on this cron (five fields, or six with seconds first) with a `ScheduledPayload`. */
  schedule?: { cron: string; timezone?: string | undefined } | undefined;
  run: (payload: TPayload, context: TaskRunContext) => Promise<TOutput>;
}

export interface Task<TPayload, TOutput, TId extends string = string> extends Definable {
  readonly id: TId;
  trigger(payload: TPayload, options?: TriggerOptions): Promise<RunHandle<TPayload, TOutput>>;
  /** Inside a run: starts a child run, waits for it durably and returns its output (or throws `RunFailedError`). */
  triggerAndWait(payload: TPayload, options?: TriggerOptions): Promise<TOutput>;
  /** Starts one run per item, all in one transaction. */
  batchTrigger(items: BatchItem<TPayload>[]): Promise<BatchHandle<RunHandle<TPayload, TOutput>>>;
  /** Inside a run: starts one child per item and waits for all of them; results come in item order. */
  batchTriggerAndWait(items: BatchItem<TPayload>[]): Promise<BatchAndWaitResult<TOutput>>;
  /** Phantom field carrying the output type for `runs.retrieve<typeof myTask>`. */
  readonly __output?: TOutput;
}

/** Defines a v3-style task: `task({ id, run })`, triggered with `myTask.trigger(payload)`. */
export function task<TPayload = unknown, TOutput = unknown, TId extends string = string>(
  options: TaskOptions<TPayload, TOutput, TId>,
): Task<TPayload, TOutput, TId> {
  const version = options.version ?? "1";
  const maxDuration = maxDurationMs(options.maxDuration);
  const queue = resolveQueue(options.id, options.queue);
  const retention = options.retention === undefined ? undefined : retentionMs(options.retention, `retention of task "${options.id}"`);
  const definition: Definition = {
    kind: "task",
    id: options.id,
    version,
    name: options.id,
    eventName: null,
    schema: options.schema,
    retry: resolveRetry(options.retry),
    // async: a payload refused here fails the run, rather than throwing before it has a promise to fail.
    execute: async (payload, scope) =>
      options.run(validatePayload(options.schema, payload, `task "${options.id}"`) as TPayload, { ctx: scope.ctx, io: scope.io }),
    ...(queue ? { queue } : {}),
    ...(maxDuration !== null ? { maxDurationMs: maxDuration } : {}),
    ...(retention?.runsMs !== undefined ? { retentionMs: retention.runsMs } : {}),
    ...(retention?.keepHistoryMs !== undefined ? { keepHistoryMs: retention.keepHistoryMs } : {}),
    // Widened: the engine calls them with this task's own payload and output, as they are typed.
    hooks: { onStart: options.onStart, onSuccess: options.onSuccess, onFailure: options.onFailure, onCancel: options.onCancel } as LifecycleHooks,
    ...(options.schedule ? { schedule: { cron: options.schedule.cron, timezone: options.schedule.timezone ?? "UTC" } } : {}),
  };
  registerDefinition(definition);

  const triggers = triggersFor<TPayload>(options.id, (payload, triggerOptions): TriggerRequest => ({
    taskId: options.id,
    taskVersion: version,
    payload: validatePayload(options.schema, payload, `task "${options.id}"`),
    ...(triggerOptions ? { options: triggerOptions } : {}),
    ...(queue ? { queue } : {}),
  }));

  return {
    id: options.id,
    [DEFINITIONS]: () => [definition],
    trigger: (payload, triggerOptions) => triggers.trigger(payload, triggerOptions),
    async triggerAndWait(payload, triggerOptions) {
      const scope = requireScope(`${options.id}.triggerAndWait`);
      const ids = await triggers.children(scope, "triggerAndWait", [{ payload, ...(triggerOptions ? { options: triggerOptions } : {}) }], true);
      const [result] = await scope.awaitRuns(options.id, ids);
      if (!result!.ok) throw new RunFailedError(result!.id, result!.status, result!.error);
      return result!.output as TOutput;
    },
    batchTrigger: (items) => triggers.batchTrigger(items),
    async batchTriggerAndWait(items) {
      const scope = requireScope(`${options.id}.batchTriggerAndWait`);
      return (await triggers.batchAndWait(scope, items)) as BatchAndWaitResult<TOutput>;
    },
  };
}
