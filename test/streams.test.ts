import { describe, expect, expectTypeOf, it } from "vitest";
import { auth, runs, streams, StreamChunkTooLargeError, StreamResetError, task, wait, type AsyncIterableStream, type PipeStreamResult } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";

const SECRET = "streams-secret-key-0123456789";
const tokens = streams.define<string>({ id: "tokens" });

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of iterable) values.push(value);
  return values;
}

/** The events of an SSE response until it ends (or `stopAfter` events), parsed. */
async function sse(url: string, headers: Record<string, string> = {}, stopAfter = Infinity) {
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers } });
  expect(response.status).toBe(200);
  const events: { event: string; id?: string; data: unknown }[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(block.split("\n").filter((l) => !l.startsWith(":")).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]));
      if (fields.data === undefined) continue;
      events.push({ event: fields.event, ...(fields.id ? { id: fields.id } : {}), data: JSON.parse(fields.data) });
    }
    if (events.length >= stopAfter) {
      await reader.cancel();
      break;
    }
  }
  return events;
}

const writer = task({
  id: "stream-writer",
  run: async (payload: { n: number }) => {
    for (let i = 1; i <= payload.n; i++) await tokens.append(`t${i}`);
    await streams.append({ done: true });
    await streams.append("logs", "one");
    await streams.pipe("logs", ["two", "three"]).waitUntilComplete();
    return "ok";
  },
});

describe("streams", () => {
  it("a run's chunks are read by a backend as they are appended, and the read ends with the run", async () => {
    await startTestEngine("streams_basic", { tasks: [writer] });
    const { id } = await writer.trigger({ n: 5 });
    const [read, logs, defaults] = await Promise.all([
      tokens.read(id).then(collect),
      streams.read<string>(id, "logs").then(collect),
      streams.read(id).then(collect),
    ]);
    expect(read).toEqual(["t1", "t2", "t3", "t4", "t5"]);
    expect(logs).toEqual(["one", "two", "three"]);
    expect(defaults).toEqual([{ done: true }]);
    expect((await streams.read<string>(id, "tokens", { after: 3 }).then(collect))).toEqual(["t4", "t5"]);
    // A stream the run never appended to ends with the run, empty.
    expect(await streams.read(id, "nothing").then(collect)).toEqual([]);
  });

  it("a pipe running flat out keeps its chunks in order across the writer's batches", async () => {
    const flood = task({
      id: "stream-flood",
      run: async () => {
        async function* numbers() {
          for (let i = 1; i <= 6000; i++) yield i;
        }
        await streams.pipe("n", numbers()).waitUntilComplete();
      },
    });
    const engine = await startTestEngine("streams_flood", { tasks: [flood] });
    const { id } = await flood.trigger({});
    expect(await streams.read<number>(id, "n").then(collect)).toEqual(Array.from({ length: 6000 }, (_, i) => i + 1));
    // More than one statement was needed, so two could have been in flight at once.
    const [{ n }] = await sql<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM "${engine.options.schema}".stream_chunks WHERE run_id = $1`, [id]) as [{ n: number }];
    expect(n).toBeGreaterThan(2);
  });

  it("pipe returns Trigger.dev v4's { stream, waitUntilComplete }: the run reads the values it pipes, typed", async () => {
    const words = streams.define<string>({ id: "words" });
    const copied = task({
      id: "stream-pipe-copy",
      run: async () => {
        const { stream, waitUntilComplete } = words.pipe(["a", "b", "c"]);
        expectTypeOf(stream).toEqualTypeOf<AsyncIterableStream<string>>();
        expectTypeOf(waitUntilComplete).toEqualTypeOf<() => Promise<void>>();
        const seen: string[] = [];
        for await (const word of stream) seen.push(word);
        await waitUntilComplete();
        // An ad-hoc key infers its chunks from the source; a ReadableStream source works too.
        const piped = streams.pipe("numbers", new ReadableStream<number>({ start: (c) => (c.enqueue(1), c.enqueue(2), c.close()) }));
        expectTypeOf(piped).toEqualTypeOf<PipeStreamResult<number>>();
        const numbers = await collect(piped.stream);
        await piped.waitUntilComplete();
        // A pipe whose stream is not taken at once holds nothing for it, and says so when asked late.
        const late = streams.pipe(["x", "y"]);
        await late.waitUntilComplete();
        let refused = "";
        try {
          void late.stream;
        } catch (error) {
          refused = (error as { code: string }).code;
        }
        return { seen, numbers, refused };
      },
    });
    await startTestEngine("streams_pipe_copy", { tasks: [copied] });
    const { id } = await copied.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.output).toEqual({ seen: ["a", "b", "c"], numbers: [1, 2], refused: "PIPE_STREAM_TAKEN_LATE" });
    expect(await words.read(id).then(collect)).toEqual(["a", "b", "c"]);
    expect(await streams.read(id, "numbers").then(collect)).toEqual([1, 2]);
    expect(await streams.read(id).then(collect)).toEqual(["x", "y"]);
  });

  it("over HTTP: lists, reads pages, follows over SSE and resumes after Last-Event-ID; a public token reads its run's streams only", async () => {
    const engine = await startTestEngine("streams_http", { tasks: [writer], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const auth_ = { authorization: `Bearer ${SECRET}` };
    const { id } = await writer.trigger({ n: 4 });
    await runs.poll(id, { timeoutMs: 20_000 });

    const list = await (await fetch(`${base}/api/runs/${id}/streams`, { headers: auth_ })).json();
    expect(list.data.map((s: { key: string; chunks: number; lastIndex: number }) => [s.key, s.chunks, s.lastIndex])).toEqual([
      ["tokens", 4, 4], ["default", 1, 1], ["logs", 3, 3],
    ]);
    const page = await (await fetch(`${base}/api/runs/${id}/streams/tokens?after=1&limit=2`, { headers: auth_ })).json();
    expect(page).toMatchObject({ runId: id, key: "tokens", lastIndex: 4, resets: 0, hasMore: true, run: { id, status: "SUCCESS" } });
    expect(page.chunks).toEqual([{ index: 2, data: "t2" }, { index: 3, data: "t3" }]);

    const all = await sse(`${base}/api/runs/${id}/streams/tokens/stream`, auth_);
    expect(all).toEqual([
      { event: "chunk", id: "0.1", data: { index: 1, data: "t1" } },
      { event: "chunk", id: "0.2", data: { index: 2, data: "t2" } },
      { event: "chunk", id: "0.3", data: { index: 3, data: "t3" } },
      { event: "chunk", id: "0.4", data: { index: 4, data: "t4" } },
      { event: "end", data: { runId: id, key: "tokens", status: "SUCCESS", lastIndex: 4 } },
    ]);
    const resumed = await sse(`${base}/api/runs/${id}/streams/tokens/stream`, { ...auth_, "last-event-id": "0.2" });
    expect(resumed.map((e) => e.event === "chunk" ? (e.data as { data: string }).data : e.event)).toEqual(["t3", "t4", "end"]);

    const { id: other } = await writer.trigger({ n: 1 });
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const viaToken = await sse(`${base}/api/runs/${id}/streams/logs/stream?token=${token}`);
    expect(viaToken.filter((e) => e.event === "chunk").map((e) => (e.data as { data: string }).data)).toEqual(["one", "two", "three"]);
    expect((await fetch(`${base}/api/runs/${id}/streams`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${base}/api/runs/${other}/streams`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    expect((await fetch(`${base}/api/runs/${other}/streams/logs/stream?token=${token}`)).status).toBe(403);
    expect((await fetch(`${base}/api/runs/${id}/streams/${"x".repeat(101)}`, { headers: auth_ })).status).toBe(400);
    expect((await fetch(`${base}/api/runs/run_missing/streams`, { headers: auth_ })).status).toBe(404);
  });

  it("refuses a chunk over maxChunkBytes and a stream over maxStreamBytes with typed errors, storing nothing of them", async () => {
    const limited = task({
      id: "stream-limits",
      retry: { maxAttempts: 1 },
      run: async () => {
        const errors: string[] = [];
        await streams.append("big", "x".repeat(200)).catch((error: Error) => errors.push(error.name));
        for (let i = 0; i < 10; i++) await streams.append("small", "y".repeat(90)).catch((error: Error) => errors.push(error.name));
        await streams.append("bad key!", 1).catch((error: Error) => errors.push(error.name));
        return errors;
      },
    });
    await startTestEngine("streams_limits", { tasks: [limited], streams: { maxChunkBytes: 100, maxStreamBytes: 500 } });
    const { id } = await limited.trigger({});
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    // 92 bytes each: five fit in 500.
    expect(run.output).toEqual([StreamChunkTooLargeError.name, ...Array(5).fill("StreamTooLargeError"), "InvalidPayloadError"]);
    expect(await streams.read(id, "small").then(collect)).toHaveLength(5);
    expect(await streams.read(id, "big").then(collect)).toEqual([]);
  });

  it("a replay does not append again what was stored; a failed step attempt's chunks are superseded and a reader is told", async () => {
    const flaky = task({
      id: "stream-replay",
      run: async (_: unknown, { io }) => {
        await streams.append("out", "before");
        await wait.for({ seconds: 0.2 });
        await streams.append("out", "after-wait");
        await io.runTask("step", async ({ attempt }) => {
          await streams.append("out", `attempt-${attempt}-a`);
          await streams.append("out", `attempt-${attempt}-b`);
          if (attempt < 2) throw new Error("first attempt fails");
        }, { retry: { maxAttempts: 2, minTimeoutInMs: 50, randomize: false } });
        await streams.append("out", "end");
      },
    });
    const engine = await startTestEngine("streams_replay", { tasks: [flaky] });
    const { id } = await flaky.trigger({});
    const parts: string[] = [];
    for await (const part of await streams.read<string>(id, "out", { onReset: (keep) => (parts.length = keep) })) parts.push(part);
    const final = await streams.read<string>(id, "out").then(collect);
    expect(final).toEqual(["before", "after-wait", "attempt-2-a", "attempt-2-b", "end"]);
    // What the reader kept, cut at each reset, is the final stream.
    expect(parts).toEqual(final);
    const rows = await sql<{ data: string; superseded: boolean }>(
      `SELECT data, superseded_in IS NOT NULL AS superseded FROM "${engine.options.schema}".stream_chunks WHERE run_id = $1 ORDER BY chunk_index`, [id]);
    expect(rows).toEqual([
      { data: '"before"', superseded: false }, { data: '"after-wait"', superseded: false },
      { data: '"attempt-1-a"', superseded: true }, { data: '"attempt-1-b"', superseded: true },
      { data: '"attempt-2-a"', superseded: false }, { data: '"attempt-2-b"', superseded: false }, { data: '"end"', superseded: false },
    ]);
  });

  it("a step that times out while its pipe's source stalls fails on time, its chunks superseded, and the run goes on", async () => {
    const stalled = task({
      id: "stream-stall",
      run: async (_: unknown, { io }) => {
        await io.runTask("step", async ({ attempt }) => {
          async function* source() {
            yield `a${attempt}`;
            if (attempt === 1) await new Promise(() => undefined);
          }
          await streams.pipe("out", source()).waitUntilComplete();
        }, { timeout: "500ms", retry: { maxAttempts: 2, minTimeoutInMs: 10, randomize: false } });
        return "ok";
      },
    });
    await startTestEngine("streams_stall", { tasks: [stalled] });
    const { id } = await stalled.trigger({});
    const run = await runs.poll(id, { timeoutMs: 30_000 });
    expect(run.output).toBe("ok");
    expect(await streams.read(id, "out").then(collect)).toEqual(["a2"]);
  });

  it("a reader that already has a superseded chunk gets a reset, or a StreamResetError without onReset", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The step fails once both readers have its first attempt's chunk.
    let seen = 0;
    const saw = () => ++seen === 2 && release();
    const gated = task({
      id: "stream-reset",
      run: async (_: unknown, { io }) => {
        await io.runTask("step", async ({ attempt }) => {
          await streams.append("out", `a${attempt}`);
          if (attempt === 1) {
            await gate;
            throw new Error("fails after the reader has the chunk");
          }
        }, { retry: { maxAttempts: 2, minTimeoutInMs: 10, randomize: false } });
      },
    });
    await startTestEngine("streams_reset", { tasks: [gated] });
    const { id } = await gated.trigger({});
    const parts: string[] = [];
    const resets: number[] = [];
    let threw: unknown;
    const withReset = (async () => {
      for await (const part of await streams.read<string>(id, "out", { onReset: (keep) => (resets.push(keep), (parts.length = keep)) })) {
        parts.push(part);
        if (part === "a1") saw();
      }
    })();
    const withoutReset = (async () => {
      try {
        for await (const part of await streams.read<string>(id, "out")) if (part === "a1") saw();
      } catch (error) {
        threw = error;
      }
    })();
    await Promise.all([withReset, withoutReset]);
    expect(resets).toEqual([0]);
    expect(parts).toEqual(["a2"]);
    expect(threw).toBeInstanceOf(StreamResetError);
  });
});
