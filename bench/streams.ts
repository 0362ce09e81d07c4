import { streams, task } from "../sdk/index.ts";
import { openNotifyProbe, PUSH_SAMPLE_GAP_MS, withScratch } from "./lib/baseline.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { openSse } from "./lib/sse.ts";
import { percentile, round, sleep } from "./lib/stats.ts";

const CHUNKS = 100_000;
/** Appends timed one at a time (each awaited, then a gap), after the bulk: latency without a queue. */
const PACED = 300;
const SECRET = "bench-secret-key-0123456789";
/** The raw baseline's statement size: the engine's writer sends up to 2,000 chunks a statement. */
const BASELINE_BATCH = 2000;

/**
 * Issue 21's streams row: one run pipes 100,000 small chunks (`{ i }`) while one SSE client of
 * `GET /api/runs/:id/streams/bulk/stream` follows them: chunks stored per second, and each chunk's
 * time from being handed to the stream to the client receiving it. Then 300 paced appends, each
 * awaited, timed append → receipt. Baselines in the same run: raw PostgreSQL storing the same
 * chunks in multi-row INSERTs of 2,000 committed one after another, and an INSERT that notifies
 * on commit heard by a LISTEN connection, sampled after each paced append so that both see the
 * machine in the same state (a baseline measured a minute later can be twice off on a busy VM).
 */
export default async function streamsBench(url: string): Promise<Row[]> {
  const handedAt = new Float64Array(CHUNKS + 1);
  const pacedAt: number[] = [];
  let stored = { ms: 0 };
  let reader: (() => void) | undefined;
  const connected = new Promise<void>((resolve) => (reader = resolve));
  let pacedReceived: ((at: number) => void) | undefined;
  const probe = await openNotifyProbe(url, { durable: true });
  const durable: number[] = [];
  const producer = task<Record<string, never>, null>({
    id: "bench-streams",
    run: async () => {
      await connected;
      async function* chunks() {
        for (let i = 1; i <= CHUNKS; i++) {
          handedAt[i] = performance.now();
          yield { i };
        }
      }
      const t0 = performance.now();
      await streams.pipe("bulk", chunks()).waitUntilComplete();
      stored = { ms: performance.now() - t0 };
      for (let i = 0; i < PACED; i++) {
        await sleep(PUSH_SAMPLE_GAP_MS);
        const received = new Promise<number>((resolve) => (pacedReceived = resolve));
        const t = performance.now();
        await streams.append("paced", i);
        pacedAt.push((await received) - t);
        await sleep(PUSH_SAMPLE_GAP_MS);
        durable.push(await probe.sample());
      }
      return null;
    },
  });
  const bench = await startBenchEngine(url, "streams", { tasks: [producer], http: { port: 0 }, secretKey: SECRET });
  const bulkLatency: number[] = [];
  let bulkReceivedMs = 0;
  try {
    const { id } = await producer.trigger({});
    const auth = { authorization: `Bearer ${SECRET}` };
    let received = 0;
    const t0 = performance.now();
    const bulk = await openSse(`${bench.engine.url}/api/runs/${id}/streams/bulk/stream`, auth, (message) => {
      if (message.event !== "chunk") return;
      const at = performance.now();
      const { index } = JSON.parse(message.data) as { index: number };
      // Indexes are 1..100,000 in the order the pipe handed the chunks over.
      bulkLatency.push(at - handedAt[index]!);
      if (++received === CHUNKS) bulkReceivedMs = at - t0;
    });
    const paced = await openSse(`${bench.engine.url}/api/runs/${id}/streams/paced/stream`, auth, (message) => {
      if (message.event === "chunk") pacedReceived?.(performance.now());
    });
    reader!();
    const status = await bench.finished(id, 600_000);
    if (status !== "SUCCESS") throw new Error(`streams run ended ${status}`);
    await bulk.done;
    await paced.done;
  } finally {
    await bench.close();
    await probe.close();
  }

  const rawPerSecond = await withScratch(url, async (table) => {
    const client = await connectClient(url);
    try {
      const values = Array.from({ length: BASELINE_BATCH }, (_, i) => JSON.stringify({ i }));
      const t0 = performance.now();
      for (let done = 0; done < CHUNKS; done += BASELINE_BATCH) {
        await client.query({ name: "bench_stream_batch", text: `INSERT INTO ${table} (v) SELECT unnest($1::text[])`, values: [values] });
      }
      return CHUNKS / ((performance.now() - t0) / 1000);
    } finally {
      await client.end();
    }
  });
  const perSecond = CHUNKS / (stored.ms / 1000);
  const pacedP50 = percentile(pacedAt, 50);
  const bulkP50 = percentile(bulkLatency, 50);
  const base = percentile(durable, 50);
  return [
    {
      id: "streams-throughput",
      row: "streams: one run piping 100,000 chunks, chunks/s stored",
      engine: `${Math.round(perSecond)} /s (reader had all after ${round(bulkReceivedMs / 1000, 2)} s)`,
      baseline: `${Math.round(rawPerSecond)} /s (INSERTs of ${BASELINE_BATCH} rows, one commit each)`,
      ratio: round(rawPerSecond / perSecond, 2),
      target: "≥ 20,000 chunks/s",
      met: perSecond >= 20_000,
      data: { chunks: CHUNKS, stored_ms: round(stored.ms), per_second: Math.round(perSecond), raw_per_second: Math.round(rawPerSecond), reader_all_ms: round(bulkReceivedMs) },
    },
    {
      id: "streams-latency",
      row: "streams: append → SSE reader p50 / p99",
      engine: `${round(pacedP50, 2)} / ${round(percentile(pacedAt, 99), 2)} ms (in the 100,000 bulk: ${round(bulkP50, 1)} / ${round(percentile(bulkLatency, 99), 1)} ms)`,
      baseline: `${round(base, 3)} / ${round(percentile(durable, 99), 3)} ms (INSERT that notifies on commit → LISTEN, alternated with the appends)`,
      ratio: round(pacedP50 / base, 2),
      target: "p50 ≤ 3 ms",
      met: pacedP50 <= 3,
      data: {
        paced_samples: PACED, p50_ms: round(pacedP50), p99_ms: round(percentile(pacedAt, 99)),
        bulk_p50_ms: round(bulkP50), bulk_p99_ms: round(percentile(bulkLatency, 99)),
        insert_notify_p50_ms: round(base), insert_notify_p99_ms: round(percentile(durable, 99)),
      },
      note:
        "paced: each append awaited (stored), then timed to the reader's receipt; bulk: each of the 100,000 piped chunks from the " +
        "moment the pipe took it to its receipt, so it includes the wait behind earlier chunks of a pipe that runs flat out",
    },
  ];
}
