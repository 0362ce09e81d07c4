import { getBackend, type TriggerRequest } from "./backend.ts";
import { currentScope, requireScope, type IO, type RunContext, type RunScope } from "./context.ts";
import { DEFINITIONS, type Definable } from "./definable.ts";
import { registerDefinition, validatePayload, type Definition, type PayloadSchema } from "./definition.ts";
import { RunFailedError } from "./errors.ts";
import { resolveRetry, type RetryOptions } from "./retry.ts";
import type { ChildRunResult, TriggerOptions } from "./types.ts";

export interface TaskRunContext {
  ctx: RunContext;
  io: IO;
}

export interface TaskOptions<TPayload, TOutput> {
  id: string;
  /** Runs keep the version they started with; default "1". */
  version?: string;
  schema?: PayloadSchema;
  /** Retries of the whole run when its code throws outside `io.runTask`; default 3 attempts. */
  retry?: RetryOptions;
  /**
   * At most `concurrencyLimit` runs of this queue execute at once, across all workers; tasks naming
   * the same queue share it, and each trigger's `concurrencyKey` gets a limit of its own.
   */
  queue?: { name?: string; concurrencyLimit: number };
  /** Fires a run on this cron (five fields, or six with seconds first) with a `ScheduledPayload`. */
  schedule?: { cron: string; timezone?: string };
  run: (payload: TPayload, context: TaskRunContext) => Promise<TOutput>;
}

export interface RunHandle {
  id: string;
}

export interface BatchItem<TPayload> {
  payload: TPayload;
  options?: TriggerOptions;
}

export interface Task<TPayload, TOutput> extends Definable {
  readonly id: string;
  trigger(payload: TPayload, options?: TriggerOptions): Promise<RunHandle>;
  /** Inside a run: starts a child run, waits for it durably and returns its output (or throws `RunFailedError`). */
  triggerAndWait(payload: TPayload, options?: TriggerOptions): Promise<TOutput>;
  /** Starts one run per item, all in one transaction. */
  batchTrigger(items: BatchItem<TPayload>[]): Promise<{ runs: RunHandle[] }>;
  /** Inside a run: starts one child per item and waits for all of them; results come in item order. */
  batchTriggerAndWait(items: BatchItem<TPayload>[]): Promise<{ runs: ChildRunResult<TOutput>[] }>;
  /** Phantom field carrying the output type for `runs.retrieve<typeof myTask>`. */
  readonly __output?: TOutput;
}

/** Defines a v3-style task: `task({ id, run })`, triggered with `myTask.trigger(payload)`. */
export function task<TPayload = unknown, TOutput = unknown>(options: TaskOptions<TPayload, TOutput>): Task<TPayload, TOutput> {
  const version = options.version ?? "1";
  const queue = options.queue ? { name: options.queue.name ?? `task:${options.id}`, concurrencyLimit: options.queue.concurrencyLimit } : undefined;
  const definition: Definition = {
    kind: "task",
    id: options.id,
    version,
    name: options.id,
    eventName: null,
    schema: options.schema,
    retry: resolveRetry(options.retry),
    execute: (payload, scope) =>
      options.run(validatePayload(options.schema, payload, `task "${options.id}"`) as TPayload, { ctx: scope.ctx, io: scope.io }),
    ...(queue ? { queue } : {}),
    ...(options.schedule ? { schedule: { cron: options.schedule.cron, timezone: options.schedule.timezone ?? "UTC" } } : {}),
  };
  registerDefinition(definition);

  const request = (payload: TPayload, triggerOptions: TriggerOptions | undefined): TriggerRequest => ({
    taskId: options.id,
    taskVersion: version,
    payload: validatePayload(options.schema, payload, `task "${options.id}"`),
    ...(triggerOptions ? { options: triggerOptions } : {}),
    ...(queue ? { queue } : {}),
  });

  /**
   * From inside a run, triggers are journaled and keyed by the call's position, so a replayed
   * parent gets the same children back instead of starting new ones.
   */
  const triggerChildren = (scope: RunScope, kind: string, items: BatchItem<TPayload>[], resumeParent: boolean) => {
    const requests = items.map((item) => request(item.payload, item.options));
    const parentRunId = scope.ctx.run.id;
    return scope.journaled(kind, options.id, async (seq) => {
      const backend = await getBackend();
      const keyed = requests.map((r, i) => ({
        ...r, parentRunId, resumeParent,
        options: { ...r.options, idempotencyKey: r.options?.idempotencyKey ?? (kind === "trigger" ? `${parentRunId}:${seq}` : `${parentRunId}:${seq}:${i}`) },
      }));
      return (await backend.batchTrigger(keyed)).map(({ id }) => id);
    });
  };

  return {
    id: options.id,
    [DEFINITIONS]: () => [definition],
    async trigger(payload, triggerOptions) {
      const scope = currentScope();
      if (!scope) {
        const { id } = await (await getBackend()).trigger(request(payload, triggerOptions));
        return { id };
      }
      const [id] = await triggerChildren(scope, "trigger", [{ payload, ...(triggerOptions ? { options: triggerOptions } : {}) }], false);
      return { id: id! };
    },
    async triggerAndWait(payload, triggerOptions) {
      const scope = requireScope(`${options.id}.triggerAndWait`);
      const ids = await triggerChildren(scope, "triggerAndWait", [{ payload, ...(triggerOptions ? { options: triggerOptions } : {}) }], true);
      const [result] = await scope.awaitRuns(options.id, ids);
      if (!result!.ok) throw new RunFailedError(result!.id, result!.status, result!.error);
      return result!.output as TOutput;
    },
    async batchTrigger(items) {
      const scope = currentScope();
      if (scope) return { runs: (await triggerChildren(scope, "batchTrigger", items, false)).map((id) => ({ id })) };
      const results = await (await getBackend()).batchTrigger(items.map((item) => request(item.payload, item.options)));
      return { runs: results.map(({ id }) => ({ id })) };
    },
    async batchTriggerAndWait(items) {
      const scope = requireScope(`${options.id}.batchTriggerAndWait`);
      const ids = await triggerChildren(scope, "batchTriggerAndWait", items, true);
      return { runs: (await scope.awaitRuns(options.id, ids)) as ChildRunResult<TOutput>[] };
    },
  };
}
