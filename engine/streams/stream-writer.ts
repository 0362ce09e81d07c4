import { StreamTooLargeError } from "../../sdk/errors.ts";
import { Batcher } from "../db/batcher.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";

/** One chunk to store, at its place in the run (see migrations/000014_streams.sql). */
export interface ChunkWrite {
  runId: string;
  key: string;
  stepSeq: number;
  attemptToken: number;
  n: number;
  data: string;
}

/** Chunks sent in one statement: a run piping as fast as it can fills it in about 50 ms here. */
const MAX_BATCH = 2000;

/**
 * Stores the chunks of every run this process executes. Appends made while a statement is in
 * flight go together in the next one (one commit for many chunks); one statement at a time, so
 * a run's chunks are numbered in the order it appended them. An append resolves once its chunk
 * is committed.
 */
export class StreamWriter {
  readonly #batcher: Batcher<ChunkWrite, void>;

  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly channel: string,
    private readonly maxStreamBytes: number,
  ) {
    this.#batcher = new Batcher((items) => this.#store(items), { maxBatch: MAX_BATCH, concurrency: 1 });
  }

  append(chunk: ChunkWrite): Promise<void> {
    return this.#batcher.run(chunk);
  }

  /** Marks the chunks of a step attempt that failed superseded; readers get a reset. */
  async supersedeAttempt(runId: string, stepSeq: number, attemptToken: number): Promise<void> {
    await this.db.query(this.sql.streams.supersedeAttempt, [runId, stepSeq, attemptToken, this.channel]);
  }

  /** Marks superseded the chunks of step attempts a crashed execution left: every step but `completedSteps`. */
  async supersedeUnfinishedSteps(runId: string, completedSteps: number[]): Promise<void> {
    await this.db.query(this.sql.streams.supersedeUnfinishedSteps, [runId, completedSteps, this.channel]);
  }

  async #store(items: ChunkWrite[]): Promise<void[]> {
    const streamNumbers = new Map<string, number>();
    const streamNo = items.map((c) => {
      const id = `${c.runId}\u0000${c.key}`;
      let no = streamNumbers.get(id);
      if (no === undefined) streamNumbers.set(id, (no = streamNumbers.size));
      return no;
    });
    try {
      await this.db.query(this.sql.streams.append, [
        items.map((c) => c.runId), items.map((c) => c.key), items.map((c) => c.stepSeq), items.map((c) => c.attemptToken),
        items.map((c) => c.n), items.map((c) => c.data), this.maxStreamBytes, this.channel, streamNo,
      ]);
    } catch (error) {
      // A batch over a limit fails whole; the batcher then sends its chunks one by one, and only
      // the one that does not fit fails, naming its stream.
      const { constraint } = error as { constraint?: string };
      if (constraint === "stream_size" && items.length === 1) throw new StreamTooLargeError(items[0]!.key, this.maxStreamBytes);
      // Another execution of the run (one whose lease ran out) stored this place between our look and our insert: it is stored.
      if (constraint === "stream_chunks_place" && items.length === 1) return [undefined];
      throw error;
    }
    return items.map(() => undefined);
  }
}
