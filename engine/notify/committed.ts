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
  /** Runs with a statement of this process under way, and what waits for it to return. */
  readonly #writing = new Map<string, { statements: number; then: (() => void)[] }>();

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

  /**
   * Marks a statement under way for these (followed) runs; the function returned marks it
   * returned, committed or not, after it published what it committed.
   */
  writing(runIds: readonly string[]): () => void {
    for (const id of runIds) {
      const writes = this.#writing.get(id);
      if (writes) writes.statements++;
      else this.#writing.set(id, { statements: 1, then: [] });
    }
    return () => {
      for (const id of runIds) {
        const writes = this.#writing.get(id)!;
        if (--writes.statements > 0) continue;
        this.#writing.delete(id);
        for (const fn of writes.then) fn();
      }
    };
  }

  /**
   * Calls `fn` once no statement of this process is under way for the run (at once if none is).
   * A NOTIFY often arrives before the result of the statement that sent it: a follower that
   * looks after that statement has returned finds its change handed over, and needs no read.
   */
  afterWrites(runId: string, fn: () => void): void {
    const writes = this.#writing.get(runId);
    if (writes) writes.then.push(fn);
    else fn();
  }
}
