import type pg from "pg";
import { StreamTooLargeError } from "../../sdk/errors.ts";
import { Batcher } from "../db/batcher.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { CommittedChunks } from "./committed-chunks.ts";

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

/** A connection held while statements are in flight on it (or waiting to be sent on it). */
interface Lane {
  connected: Promise<pg.PoolClient>;
  users: number;
  broken: Error | undefined;
  onError: (error: Error) => void;
}

/**
 * Stores the chunks of every run this process executes. Appends made while a statement is in
 * flight go together in the next one (one commit for many chunks). Statements go on one
 * connection while appends keep coming, two at a time: PostgreSQL runs a connection's statements
 * in the order sent, so a run's chunks are numbered in the order it appended them, and the next
 * batch is built and sent while the last one commits (one at a time left a quarter of a pipe's
 * time to the gaps between statements). An append resolves once its chunk is committed.
 */
export class StreamWriter {
  readonly #batcher: Batcher<ChunkWrite, void>;
  #lane: Lane | undefined;

  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly channel: string,
    private readonly maxStreamBytes: number,
    /** This process's followers, handed the chunks once committed. */
    private readonly committed?: CommittedChunks,
  ) {
    this.#batcher = new Batcher((items) => this.#store(items), { maxBatch: MAX_BATCH, concurrency: 2 });
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
    const { lane, client } = await this.#enter();
    let stored: [streamNo: number, lastIndex: number, count: number, resets: number][];
    try {
      const { rows } = await this.db.query<{ streams: typeof stored }>(this.sql.streams.append, [
        items.map((c) => c.runId), items.map((c) => c.key), items.map((c) => c.stepSeq), items.map((c) => c.attemptToken),
        items.map((c) => c.n), items.map((c) => c.data), this.maxStreamBytes, this.channel, streamNo,
      ], client);
      stored = rows[0]!.streams;
    } catch (error) {
      // A batch over a limit fails whole; the batcher then sends its chunks one by one, and only
      // the one that does not fit fails, naming its stream.
      const { constraint } = error as { constraint?: string };
      if (constraint === "stream_size" && items.length === 1) throw new StreamTooLargeError(items[0]!.key, this.maxStreamBytes);
      // Another execution of the run (one whose lease ran out) stored this place between our look and our insert: it is stored.
      if (constraint === "stream_chunks_place" && items.length === 1) return [undefined];
      throw error;
    } finally {
      this.#leave(lane);
    }
    this.#handOver(items, streamNo, stored);
    return items.map(() => undefined);
  }

  /**
   * Gives followers in this process what the statement committed. A stream that stored all its
   * chunks of the statement holds them at the indexes before its last one, in order; one that
   * skipped some (a replay) cannot tell which took which index, and its followers read again.
   */
  #handOver(items: ChunkWrite[], streamNo: number[], stored: [number, number, number, number][]): void {
    const committed = this.committed;
    if (!committed) return;
    const byStream = new Map<number, ChunkWrite[]>();
    items.forEach((item, i) => {
      if (!committed.follows(item.runId)) return;
      const list = byStream.get(streamNo[i]!);
      if (list) list.push(item);
      else byStream.set(streamNo[i]!, [item]);
    });
    if (byStream.size === 0) return;
    for (const [no, lastIndex, count, resets] of stored) {
      const chunks = byStream.get(no);
      if (!chunks) continue;
      const { runId, key } = chunks[0]!;
      const first = lastIndex - count + 1;
      committed.publish(runId, {
        key, resets,
        chunks: count === chunks.length ? chunks.map((c, i) => ({ index: first + i, text: c.data })) : undefined,
      });
    }
  }

  /** The connection statements go on now; taken from the pool when none is held. */
  async #enter(): Promise<{ lane: Lane; client: pg.PoolClient }> {
    const lane = (this.#lane ??= this.#connect());
    // Counted before waiting: a statement ending meanwhile must not give the connection back.
    lane.users++;
    try {
      return { lane, client: await lane.connected };
    } catch (error) {
      this.#leave(lane);
      throw error;
    }
  }

  #connect(): Lane {
    const lane: Lane = { connected: this.db.pool.connect(), users: 0, broken: undefined, onError: (error) => (lane.broken ??= error) };
    // A connection lost while held would otherwise be an unhandled 'error' event.
    lane.connected.then((client) => client.on("error", lane.onError), () => undefined);
    return lane;
  }

  /** Gives the connection back once nothing uses it (a broken one is discarded). */
  #leave(lane: Lane): void {
    if (--lane.users > 0) return;
    if (this.#lane === lane) this.#lane = undefined;
    lane.connected.then((client) => {
      client.off("error", lane.onError);
      client.release(lane.broken);
    }, () => undefined);
  }
}
