// Chunks a process commits reach the stream followers of that same process straight from the
// append's result (engine/notify/committed.ts); anything they cannot be sure of sends
// them to read the table. The listener here never delivers a notification, so every read the
// followers make is one the hand-off asked for (or their first).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { migrate } from "durably/engine";
import pg from "pg";
import { Database } from "../engine/db/database.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import { createLogger } from "../engine/logger.ts";
import { channelsOf, type Listener } from "../engine/notify/listener.ts";
import { Committed } from "../engine/notify/committed.ts";
import type { CommittedChunksBatch } from "../engine/streams/committed-chunks.ts";
import { StreamReads, type StoredStreamEvent } from "../engine/streams/stream-reads.ts";
import { StreamWriter, type ChunkWrite } from "../engine/streams/stream-writer.ts";
import { TEST_DATABASE_URL, dropSchemas, insertExecutingRun, uniqueSchema } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

const schema = uniqueSchema("handoff");
const statements = buildStatements(schema);
const channels = channelsOf(schema);
const silent = { onRun: () => () => undefined, onReconnect: () => () => undefined } as unknown as Listener;
let db: Database;

beforeAll(async () => {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await migrate(client, schema);
  await client.end();
  db = new Database(TEST_DATABASE_URL, 4, createLogger("silent"));
});
afterAll(async () => {
  await db.end();
  await dropSchemas(schema);
});

/** A follower of `runId`'s stream "k" in a process whose writer hands over its chunks, counting the reads it makes. */
async function follow(runId: string) {
  const committed = new Committed<CommittedChunksBatch>();
  const reads = { count: 0 };
  const query = db.query.bind(db);
  const counting = Object.create(db) as Database;
  counting.query = ((text: string, ...rest: unknown[]) => {
    if (text === statements.streams.read) reads.count++;
    return (query as (...args: unknown[]) => unknown)(text, ...rest);
  }) as Database["query"];
  const follower = new StreamReads({ db: counting, sql: statements, channels, listener: async () => silent, committedChunks: committed });
  const abort = new AbortController();
  const events: StoredStreamEvent[] = [];
  const done = (async () => {
    for await (const event of follower.follow(runId, "k", { after: 0, resets: undefined }, abort.signal)) events.push(event);
  })();
  await until(async () => (reads.count === 1 ? true : undefined), 10_000);
  const here = new StreamWriter(db, statements, channels.stream, 1 << 20, committed);
  const chunks = () => events.flatMap((e) => (e.type === "chunks" ? e.chunks.map((c) => JSON.parse(c.text) as string) : []));
  const stop = async () => {
    abort.abort();
    await done;
  };
  return { here, reads, events, chunks, stop };
}

const at = (runId: string, n: number, data: string, step = { stepSeq: 1, attemptToken: 0 }): ChunkWrite => ({ runId, key: "k", ...step, n, data: JSON.stringify(data) });

describe("stream chunks handed to the committing process's followers", () => {
  it("a follower gets the chunks its process commits without reading them", async () => {
    const { id } = await insertExecutingRun(schema, "run_handoff_direct");
    const f = await follow(id);
    try {
      await f.here.append(at(id, 0, "a"));
      await Promise.all([f.here.append(at(id, 1, "b")), f.here.append(at(id, 2, "c"))]);
      await until(async () => (f.chunks().length === 3 ? true : undefined), 20_000);
      expect(f.chunks()).toEqual(["a", "b", "c"]);
      expect(f.reads.count).toBe(1);
      // A replayed append (its place stored already) hands nothing over.
      await f.here.append(at(id, 1, "b"));
      await f.here.append(at(id, 3, "d"));
      await until(async () => (f.chunks().length === 4 ? true : undefined), 20_000);
      expect(f.chunks()).toEqual(["a", "b", "c", "d"]);
      expect(f.reads.count).toBe(1);
    } finally {
      await f.stop();
    }
  });

  it("chunks committed elsewhere, or a reset since, make the follower read: it gets everything, in order", async () => {
    const { id } = await insertExecutingRun(schema, "run_handoff_gap");
    const f = await follow(id);
    const elsewhere = new StreamWriter(db, statements, channels.stream, 1 << 20);
    try {
      await f.here.append(at(id, 0, "a"));
      await until(async () => (f.chunks().length === 1 ? true : undefined), 20_000);
      // Another process stores chunk 2: chunk 3, handed over, does not follow on from chunk 1.
      await elsewhere.append(at(id, 1, "b"));
      await f.here.append(at(id, 2, "c"));
      await until(async () => (f.chunks().length === 3 ? true : undefined), 20_000);
      expect(f.chunks()).toEqual(["a", "b", "c"]);
      expect(f.reads.count).toBe(2);
      // A step attempt's chunk, handed over, then superseded; the next chunk comes with the
      // stream's new resets, and the follower reads: a reset first, then the chunk.
      const step = { stepSeq: 5, attemptToken: 77 };
      await f.here.append(at(id, 0, "d", step));
      await until(async () => (f.chunks().length === 4 ? true : undefined), 20_000);
      await f.here.supersedeAttempt(id, 5, 77);
      await f.here.append(at(id, 3, "e"));
      await until(async () => (f.chunks().length === 5 ? true : undefined), 20_000);
      expect(f.events.slice(-2)).toEqual([
        { type: "reset", fromIndex: 4, resets: 1 },
        { type: "chunks", chunks: [{ index: 5, text: '"e"' }], resets: 1 },
      ]);
      expect(f.reads.count).toBe(3);
    } finally {
      await f.stop();
    }
  });

  it("hands nothing over to a process with no follower of the run", async () => {
    const { id } = await insertExecutingRun(schema, "run_handoff_none");
    const committed = new Committed<CommittedChunksBatch>();
    const publish = vi.spyOn(committed, "publish");
    await new StreamWriter(db, statements, channels.stream, 1 << 20, committed).append(at(id, 0, "a"));
    expect(publish).not.toHaveBeenCalled();
  });
});
