type Handler<T> = (change: T) => void;

/**
 * What this process has just committed for a run, handed to the followers of that run in this
 * same process (a run's SSE stream, a stream's reader) as the writing statement returns, instead
 * of when its NOTIFY comes back and they have read it again: an `all` process serves the
 * followers of the runs it executes. A follower takes a change only when it follows on exactly
 * from what it has sent, and reads otherwise; changes made in other processes reach it through
 * the NOTIFY and a read. Nothing is published before its statement has committed.
 */
export class Committed<T> {
  readonly #handlers = new Map<string, Set<Handler<T>>>();

  subscribe(runId: string, handler: Handler<T>): () => void {
    let set = this.#handlers.get(runId);
    if (!set) {
      set = new Set();
      this.#handlers.set(runId, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.#handlers.get(runId) === set) this.#handlers.delete(runId);
    };
  }

  /** Whether anything in this process follows the run: only then do writes build what they hand over. */
  follows(runId: string): boolean {
    return this.#handlers.has(runId);
  }

  publish(runId: string, change: T): void {
    for (const handler of this.#handlers.get(runId) ?? []) handler(change);
  }
}
