import { getBackend } from "./backend.ts";
import { TimeoutError } from "./errors.ts";
import type { BulkAction, BulkActionKind, BulkDryRun, BulkRunsFilter } from "./types.ts";

export interface BulkOptions {
  /** Counts the runs the filter matches and acts on none. */
  dryRun?: boolean | undefined;
}

export interface BulkForkOptions extends BulkOptions {
  /** The step each run is forked from (seq 1 is its first io call). */
  fromSeq: number;
}

/** A dry run's answer, or the action under way. */
type BulkResult<O extends BulkOptions | undefined> = O extends { dryRun: true } ? BulkDryRun : BulkAction;

const start = async (action: BulkActionKind, filter: BulkRunsFilter, options: BulkOptions & { fromSeq?: number } = {}) =>
  (await getBackend()).bulkAction({ action, filter, ...options });

/**
 * Acting on every run a filter matches (`runs.list`'s filter, plus `taskVersion`). The runs are
 * the ones matching when the action is made; each is acted on once, in the background, and a
 * crash of the process doing it only pauses it until another engine takes it over.
 */
export const bulk = {
  retry: <O extends BulkOptions | undefined = undefined>(filter: BulkRunsFilter, options?: O) => start("retry", filter, options) as Promise<BulkResult<O>>,
  cancel: <O extends BulkOptions | undefined = undefined>(filter: BulkRunsFilter, options?: O) => start("cancel", filter, options) as Promise<BulkResult<O>>,
  replay: <O extends BulkOptions | undefined = undefined>(filter: BulkRunsFilter, options?: O) => start("replay", filter, options) as Promise<BulkResult<O>>,
  fork: <O extends BulkForkOptions>(filter: BulkRunsFilter, options: O) => start("fork", filter, options) as Promise<BulkResult<O>>,
  /** The action's progress. */
  retrieve: async (id: string): Promise<BulkAction> => (await getBackend()).retrieveBulkAction(id),
  /**
   * The action as it is, then each time its progress is pushed (at most about ten a second),
   * ending with the completed action. `break` to stop following.
   */
  async *subscribe(id: string): AsyncGenerator<BulkAction> {
    yield* (await getBackend()).followBulkAction(id);
  },
  /** Resolves once every run has been acted on, waiting on pushed progress; default timeout 60 s. */
  async poll(id: string, options: { timeoutMs?: number | undefined; onProgress?: ((action: BulkAction) => void) | undefined } = {}): Promise<BulkAction> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const abort = new AbortController();
    let last: BulkAction | undefined;
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      for await (const action of (await getBackend()).followBulkAction(id, { signal: abort.signal })) {
        last = action;
        options.onProgress?.(action);
        if (action.status === "COMPLETED") return action;
      }
    } finally {
      clearTimeout(timer);
    }
    const done = last ? ` (${last.succeeded + last.failed} of ${last.total} done)` : "";
    throw new TimeoutError(`Bulk action ${id} did not finish within ${timeoutMs} ms${done}`);
  },
};
