import type { HookParams, LifecycleHooks } from "../../sdk/hooks.ts";
import type { Execution } from "../journal/execution.ts";
import type { Logger } from "../logger.ts";

type HookName = keyof LifecycleHooks;

/**
 * The lifecycle hooks of one run: the engine's, then its task's. `onStart` throwing fails the
 * attempt; the other hooks' errors are logged and change nothing about the run.
 */
export class RunHooks {
  readonly #all: LifecycleHooks[];
  readonly #params: HookParams;

  constructor(
    engineHooks: LifecycleHooks, taskHooks: LifecycleHooks | undefined, payload: unknown,
    private readonly execution: Execution, private readonly logger: Logger,
  ) {
    this.#all = taskHooks ? [engineHooks, taskHooks] : [engineHooks];
    this.#params = { payload, ctx: execution.ctx, task: execution.ctx.task.id };
  }

  /** Part of the run's code: an error fails the attempt, and nothing is recorded, so a retry calls it again. */
  async start(): Promise<void> {
    if (!this.#has("onStart")) return;
    await this.execution.runHook("onStart", async () => {
      for (const hooks of this.#all) await hooks.onStart?.(this.#params);
    }, "in-code");
  }

  /** False when the run was no longer this execution's to record the call in. */
  succeeded(output: unknown): Promise<boolean> {
    if (!this.#has("onSuccess")) return Promise.resolve(true);
    return this.execution.runHook("onSuccess", () => this.#each("onSuccess", (hooks) => hooks.onSuccess?.({ ...this.#params, output })), "after-code");
  }

  /** False when the run was no longer this execution's to record the call in. */
  failed(error: unknown): Promise<boolean> {
    if (!this.#has("onFailure")) return Promise.resolve(true);
    return this.execution.runHook("onFailure", () => this.#each("onFailure", (hooks) => hooks.onFailure?.({ ...this.#params, error })), "after-code");
  }

  #has(name: HookName): boolean {
    return this.#all.some((hooks) => hooks[name] !== undefined);
  }

  async #each(name: HookName, call: (hooks: LifecycleHooks) => Promise<void> | void): Promise<void> {
    for (const hooks of this.#all) {
      try {
        await call(hooks);
      } catch (error) {
        this.logger.error(`${name} hook threw; the run's outcome stands`, { runId: this.#params.ctx.run.id, error: (error as Error)?.message ?? String(error) });
      }
    }
  }
}
