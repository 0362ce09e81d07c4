interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions<I> {
  maxBatch: number;
  /** Flushes in flight at once; 1 means "one round trip at a time, the rest wait and go together". */
  concurrency: number;
  /** Items with the same key never share a batch (a statement may touch a row only once). */
  key?: (item: I) => string;
}

/**
 * Group commit in the engine: calls made while a flush is in flight are sent together in the
 * next one. An idle batcher flushes at once, so a lone call pays no extra latency; under load
 * many runs share one statement and one commit. The next flush waits a turn of the event loop
 * after a batch of several completes, for the callers it resumed: a run's next call is a few
 * promise hops away, and without the wait it would miss the batch and go alone. When a batch fails, its items are
 * retried one by one, so one bad item cannot fail the others.
 */
export class Batcher<I, O> {
  readonly #queue: Pending<I, O>[] = [];
  #inFlight = 0;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions<I>,
  ) {}

  /** Nothing in flight or queued: a call now is sent at once. */
  get idle(): boolean {
    return this.#inFlight === 0 && this.#queue.length === 0;
  }

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#pump();
    });
  }

  /**
   * `run`, but an idle batcher waits a turn of the event loop before sending: a call made in the
   * meantime goes in the same batch.
   */
  runSoon(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      setImmediate(() => this.#pump());
    });
  }

  #pump(): void {
    while (this.#inFlight < this.options.concurrency && this.#queue.length > 0) {
      const batch = this.#take();
      this.#inFlight++;
      const next = () => {
        this.#inFlight--;
        this.#pump();
      };
      // A batch of one resumed one caller, whose next call is already queued or finds the batcher idle.
      this.#send(batch).finally(() => (batch.length > 1 ? setImmediate(next) : next()));
    }
  }

  #take(): Pending<I, O>[] {
    const { key, maxBatch } = this.options;
    if (!key) return this.#queue.splice(0, maxBatch);
    const taken: Pending<I, O>[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.#queue.length && taken.length < maxBatch; ) {
      const k = key(this.#queue[i]!.item);
      if (keys.has(k)) {
        i++;
        continue;
      }
      keys.add(k);
      taken.push(...this.#queue.splice(i, 1));
    }
    return taken;
  }

  async #send(batch: Pending<I, O>[]): Promise<void> {
    try {
      const results = await this.flush(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      await Promise.all(batch.map((p) => this.flush([p.item]).then(([result]) => p.resolve(result!), p.reject)));
    }
  }
}
