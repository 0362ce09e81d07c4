import { getBackend } from "./backend.ts";
import { currentScope, type IO, type RunContext } from "./context.ts";
import { DEFINITIONS, type Definable } from "./definable.ts";
import { registerDefinition, validatePayload, type Definition, type PayloadSchema } from "./definition.ts";
import { resolveRetry, type RetryOptions } from "./retry.ts";
import type { TriggerOptions } from "./types.ts";

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
  run: (payload: TPayload, context: TaskRunContext) => Promise<TOutput>;
}

export interface RunHandle {
  id: string;
}

export interface Task<TPayload, TOutput> extends Definable {
  readonly id: string;
  trigger(payload: TPayload, options?: TriggerOptions): Promise<RunHandle>;
  /** Phantom field carrying the output type for `runs.retrieve<typeof myTask>`. */
  readonly __output?: TOutput;
}

/** Defines a v3-style task: `task({ id, run })`, triggered with `myTask.trigger(payload)`. */
export function task<TPayload = unknown, TOutput = unknown>(options: TaskOptions<TPayload, TOutput>): Task<TPayload, TOutput> {
  const version = options.version ?? "1";
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
  };
  registerDefinition(definition);
  return {
    id: options.id,
    [DEFINITIONS]: () => [definition],
    async trigger(payload, triggerOptions) {
      const checked = validatePayload(options.schema, payload, `task "${options.id}"`);
      const backend = await getBackend();
      const scope = currentScope();
      if (!scope) {
        const { id } = await backend.trigger({ taskId: options.id, taskVersion: version, payload: checked, options: triggerOptions });
        return { id };
      }
      // From inside a run the trigger is journaled, and keyed by the call's position, so a
      // replayed parent gets the same child back instead of starting a second one.
      const parentRunId = scope.ctx.run.id;
      return scope.journaled("trigger", options.id, async (seq) => {
        const idempotencyKey = triggerOptions?.idempotencyKey ?? `${parentRunId}:${seq}`;
        const { id } = await backend.trigger({
          taskId: options.id, taskVersion: version, payload: checked, parentRunId,
          options: { ...triggerOptions, idempotencyKey },
        });
        return { id };
      });
    },
  };
}
