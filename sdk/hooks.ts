import type { RunContext } from "./context.ts";

/** What every lifecycle hook is told, as in Trigger.dev v4: the run's payload, its context and its task's id. */
export interface HookParams<TPayload = unknown> {
  payload: TPayload;
  ctx: RunContext;
  task: string;
}

/**
 * Lifecycle hooks, on a task (`task({ onStart, … })`) or for every task of an engine
 * (`createEngine({ hooks })`, called before the task's own). Each is called once per run: a
 * `hook` marker in the journal records the call, so a replay does not call it again.
 */
export interface LifecycleHooks<TPayload = unknown, TOutput = unknown> {
  /**
   * Before the run's code first executes. Throwing fails that attempt as the run's code throwing
   * would (the run's retry policy applies, and the hook is called again on the retry).
   */
  onStart?: ((params: HookParams<TPayload>) => Promise<void> | void) | undefined;
  /** After the run's code returned, before the run is SUCCESS. Throwing is logged; the run still succeeds. */
  onSuccess?: ((params: HookParams<TPayload> & { output: TOutput }) => Promise<void> | void) | undefined;
  /** Before the run is FAILURE (not before a retry). Throwing is logged; the run still fails with its own error. */
  onFailure?: ((params: HookParams<TPayload> & { error: unknown }) => Promise<void> | void) | undefined;
  /**
   * When a cancel reaches the run while it executes (its code stops at its next io call). A run
   * canceled while QUEUED or WAITING has no execution to call it. Throwing is logged.
   */
  onCancel?: ((params: HookParams<TPayload>) => Promise<void> | void) | undefined;
}
