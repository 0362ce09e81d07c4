// The stream channel's notification names the streams that changed, so a follower of one stream
// of a run reads the table only for commits to that stream (engine/streams/stream-reads.ts), and
// falls back to naming the run only when the keys would pass PostgreSQL's 8000-byte cap.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "durably/engine";
import pg from "pg";
import { Database } from "../engine/db/database.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import { createLogger } from "../engine/logger.ts";
import { channelsOf, Listener, runChanges } from "../engine/notify/listener.ts";
import { StreamReads, type StoredStreamEvent } from "../engine/streams/stream-reads.ts";
import { StreamWriter } from "../engine/streams/stream-writer.ts";
import { TEST_DATABASE_URL, dropSchemas, insertExecutingRun, uniqueSchema } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

const schema = uniqueSchema("notify_keys");
const statements = buildStatements(schema);
const channels = channelsOf(schema);
let db: Database;
let listener: Listener;

beforeAll(async () => {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await migrate(client, schema);
  await client.end();
  db = new Database(TEST_DATABASE_URL, 4, createLogger("silent"));
  listener = new Listener(TEST_DATABASE_URL, createLogger("silent"));
  await listener.start();
});
afterAll(async () => {
  await listener.stop();
  await db.end();
  await dropSchemas(schema);
});

const chunk = (runId: string, key: string, n: number, data: unknown) => ({ runId, key, stepSeq: 1, attemptToken: 0, n, data: JSON.stringify(data) });

describe("stream notifications name their streams", () => {
  it("a follower of stream a reads nothing while only stream b gets chunks, and gets a's next chunk", async () => {
    const { id } = await insertExecutingRun(schema, "run_notify_keys_follow");
    const reads = { count: 0 };
    const query = db.query.bind(db);
    const counting = Object.create(db) as Database;
    counting.query = ((text: string, ...rest: unknown[]) => {
      if (text === statements.streams.read) reads.count++;
      return (query as (...args: unknown[]) => unknown)(text, ...rest);
    }) as Database["query"];
    const follower = new StreamReads({ db: counting, sql: statements, channels, listener: async () => listener });
    const writer = new StreamWriter(db, statements, channels.stream, 1 << 20);
    const abort = new AbortController();
    const events: StoredStreamEvent[] = [];
    const done = (async () => {
      for await (const event of follower.follow(id, "a", { after: 0, resets: undefined }, abort.signal)) events.push(event);
    })();
    const got = () => events.flatMap((e) => (e.type === "chunks" ? e.chunks.map((c) => JSON.parse(c.text) as string) : []));
    try {
      await until(async () => (reads.count === 1 ? true : undefined), 10_000);
      for (let n = 0; n < 10; n++) await writer.append(chunk(id, "b", n, `b${n}`));
      // Notifications come in commit order: once a's chunk arrives, every one of b's was heard.
      await writer.append(chunk(id, "a", 100, "a0"));
      await until(async () => (got().length === 1 ? true : undefined), 10_000);
      expect(got()).toEqual(["a0"]);
      expect(reads.count).toBe(2);
    } finally {
      abort.abort();
      await done;
    }
  });

  it("names each stream in its notification, and only the run when the keys would pass 8000 bytes", async () => {
    const { id } = await insertExecutingRun(schema, "run_notify_keys_payload");
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    const heard: string[] = [];
    client.on("notification", (n) => n.channel === channels.stream && heard.push(n.payload ?? ""));
    try {
      await client.query(`LISTEN "${channels.stream}"`);
      const writer = new StreamWriter(db, statements, channels.stream, 1 << 20);
      await writer.append(chunk(id, "x:1", 0, 1));
      await until(async () => (heard.length === 1 ? true : undefined), 10_000);
      expect(runChanges(heard[0]!)).toEqual([{ runId: id, revision: 1, finished: false, streamKey: "x:1" }]);
      // Eighty streams of 100-character keys in one statement: their keys do not fit one notification.
      const long = Array.from({ length: 80 }, (_, i) => `${String(i).padStart(2, "0")}${"k".repeat(98)}`);
      await db.query(statements.streams.append, [
        long.map(() => id), long, long.map(() => 2), long.map(() => 0), long.map((_, i) => i), long.map(() => "1"), 1 << 20, channels.stream,
        long.map((_, i) => i + 1),
      ]);
      await until(async () => (heard.length === 2 ? true : undefined), 10_000);
      const bare = runChanges(heard[1]!);
      expect(bare).toHaveLength(80);
      expect(bare.every((c) => c.runId === id && c.revision === 1 && c.streamKey === undefined)).toBe(true);
    } finally {
      await client.end();
    }
  });
});
