/**
 * What one of this process's statements committed to a stream: the chunks in index order (each
 * one's JSON text), with the stream's resets as of that commit. `chunks` is undefined when the
 * statement cannot say exactly which indexes its chunks took (a replay skipped some): followers
 * read the stream again.
 */
export interface CommittedChunksBatch {
  key: string;
  resets: number;
  chunks: { index: number; text: string }[] | undefined;
}

type Handler = (batch: CommittedChunksBatch) => void;

/**
 * Stream chunks this process has just committed, for its own followers (an SSE reader, a
 * backend's `streams.read`): they get the chunks as soon as the append's statement returns,
 * instead of when the NOTIFY comes back and they have read the chunks again (an `all` process
 * serves the readers of the runs it executes). Chunks committed elsewhere still reach followers
 * through the NOTIFY and a read. Nothing is published before its statement has committed.
 */
export class CommittedChunks {
  readonly #handlers = new Map<string, Set<Handler>>();

  subscribe(runId: string, handler: Handler): () => void {
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

  /** Whether anything in this process follows the run's streams: only then are chunks handed over. */
  follows(runId: string): boolean {
    return this.#handlers.has(runId);
  }

  publish(runId: string, batch: CommittedChunksBatch): void {
    for (const handler of this.#handlers.get(runId) ?? []) handler(batch);
  }
}
