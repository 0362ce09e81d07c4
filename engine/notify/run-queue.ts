import type { Run } from "../../sdk/types.ts";

/**
 * One subscriber's runs still to be taken, latest snapshot per run, as an async iterator. A
 * snapshot at or below the revision the subscriber already has is dropped, so a read that raced
 * a newer one, or a list read again after a reconnect, never repeats or takes back a change.
 */
export class RunQueue implements AsyncIterableIterator<Run> {
  readonly #seen = new Map<string, number>();
  readonly #pending = new Map<string, Run>();
  #waiting: PromiseWithResolvers<IteratorResult<Run>> | undefined;
  #ended = false;
  #error: unknown;
  readonly #onClose: () => void;

  /** `onClose` runs once, when the iterator ends for any reason (its consumer's `break` included). */
  constructor(onClose: () => void) {
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#ended;
  }

  /** The revision of `runId` this subscriber has been given, or 0. */
  seen(runId: string): number {
    return Math.max(this.#seen.get(runId) ?? 0, this.#pending.get(runId)?.revision ?? 0);
  }

  push(run: Run): void {
    if (this.#ended || run.revision <= this.seen(run.id)) return;
    if (this.#waiting) {
      this.#seen.set(run.id, run.revision);
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting.resolve({ value: run, done: false });
      return;
    }
    // A newer snapshot replaces the one not taken yet and goes to the back: the queue stays one per run.
    this.#pending.delete(run.id);
    this.#pending.set(run.id, run);
  }

  /** Ends after what is pending has been taken. */
  end(): void {
    this.#close(undefined);
  }

  /** Ends with `error` after what is pending has been taken. */
  fail(error: unknown): void {
    this.#close(error);
  }

  #close(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#onClose();
    if (this.#waiting && this.#pending.size === 0) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (error === undefined) waiting.resolve({ value: undefined, done: true });
      else waiting.reject(error);
    }
  }

  next(): Promise<IteratorResult<Run>> {
    const first = this.#pending.values().next();
    if (!first.done) {
      const run = first.value;
      this.#pending.delete(run.id);
      this.#seen.set(run.id, run.revision);
      return Promise.resolve({ value: run, done: false });
    }
    if (this.#ended) {
      if (this.#error === undefined) return Promise.resolve({ value: undefined, done: true });
      const error = this.#error;
      this.#error = undefined;
      return Promise.reject(error);
    }
    this.#waiting = Promise.withResolvers();
    return this.#waiting.promise;
  }

  return(): Promise<IteratorResult<Run>> {
    this.#pending.clear();
    this.#close(undefined);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
