import { task } from "../sdk/index.ts";
import { notifyRoundTrip, openNotifyProbe, PUSH_SAMPLE_GAP_MS, type NotifyProbe } from "./lib/baseline.ts";
import type { Row } from "./lib/row.ts";
import { startBenchEngine } from "./lib/schema.ts";
import { openSse } from "./lib/sse.ts";
import { percentile, round, sleep } from "./lib/stats.ts";
import { mentionsRun } from "../engine/notify/listener.ts";
import { partsOf, serviceOf } from "../engine/internal.ts";

const SAMPLES = 300;
const WARMUP = 20;
const SECRET = "bench-secret-key-0123456789";

/**
 * Row 7: `status.update` called inside a run → an SSE client of `GET /api/runs/:id/stream`
 * receiving that status version, against raw PostgreSQL's durable change announced: an INSERT
 * that notifies on commit, heard by a LISTEN connection. Also recorded: when the engine's own LISTEN connection
 * (engine/notify/listener.ts) saw the run's notification, which splits the path in two.
 */
export default async function pushLatency(url: string): Promise<Row[]> {
  const sse: number[] = [];
  const listen: number[] = [];
  /** From status.update returning (the status is stored) to the client: the push alone. */
  const afterReturn: number[] = [];
  let subscribed: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  let heard: ((at: number) => void) | undefined;
  let delivered: ((at: number) => void) | undefined;
  /** Raw PostgreSQL's notifying INSERT, one sample after each of the engine's, so both see the machine alike. */
  const durable: number[] = [];
  let probe: NotifyProbe | undefined;
  const pusher = task<{ n: number }, null>({
    id: "bench-push",
    run: async ({ n }, { io }) => {
      let status = await io.createStatus("progress", { label: "0", state: "loading", data: { i: -1 } });
      await ready;
      for (let i = 0; i < WARMUP + n; i++) {
        await sleep(PUSH_SAMPLE_GAP_MS);
        const atListener = new Promise<number>((resolve) => (heard = resolve));
        const atClient = new Promise<number>((resolve) => (delivered = resolve));
        const t0 = performance.now();
        status = await status.update(`u${i}`, { label: String(i), data: { i } });
        const returned = performance.now();
        const [l, c] = await Promise.all([atListener, atClient]);
        if (i >= WARMUP) {
          listen.push(l - t0);
          sse.push(c - t0);
          afterReturn.push(c - returned);
          await sleep(PUSH_SAMPLE_GAP_MS);
          durable.push(await probe!.sample());
        }
      }
      return null;
    },
  });
  const bench = await startBenchEngine(url, "push", { tasks: [pusher], http: { port: 0 }, secretKey: SECRET });
  probe = await openNotifyProbe(url, { durable: true });
  try {
    const { listener, channels } = partsOf(bench.engine);
    const { id } = await pusher.trigger({ n: SAMPLES });
    const off = listener.on(channels.run, (payload) => {
      if (mentionsRun(payload, id)) heard?.(performance.now());
    });
    const stream = await openSse(`${bench.engine.url}/api/runs/${id}/stream`, { authorization: `Bearer ${SECRET}` }, (message) => {
      if (message.event === "run") subscribed();
      if (message.event !== "journal") return;
      const body = JSON.parse(message.data) as { status?: { data?: { i?: number } } };
      if (body.status?.data?.i !== undefined && body.status.data.i >= 0) delivered?.(performance.now());
    });
    const run = await serviceOf(bench.engine).pollRun(id, 120_000);
    stream.close();
    await stream.done;
    off();
    if (run.status !== "SUCCESS") throw new Error(`push run ended ${run.status}`);
  } finally {
    await probe.close();
    await bench.close();
  }
  const raw = await notifyRoundTrip(url, SAMPLES);
  const p50 = percentile(sse, 50);
  const bare = percentile(raw, 50);
  const base = percentile(durable, 50);
  return [{
    id: "push",
    row: "status.update → SSE client p50 / p99",
    engine: `${round(p50, 2)} / ${round(percentile(sse, 99), 2)} ms (engine LISTEN at ${round(percentile(listen, 50), 2)})`,
    baseline: `${round(base, 3)} / ${round(percentile(durable, 99), 3)} ms (INSERT that notifies on commit → LISTEN)`,
    ratio: round(p50 / base, 2),
    target: "p50 ≤ 1.5× a notifying INSERT",
    met: p50 <= 1.5 * base,
    data: {
      samples: SAMPLES, p50_ms: round(p50), p99_ms: round(percentile(sse, 99)),
      listener_p50_ms: round(percentile(listen, 50)), listener_p99_ms: round(percentile(listen, 99)),
      after_return_p50_ms: round(percentile(afterReturn, 50)), after_return_p99_ms: round(percentile(afterReturn, 99)),
      notify_p50_ms: round(bare), notify_p99_ms: round(percentile(raw, 99)),
      insert_notify_p50_ms: round(base), insert_notify_p99_ms: round(percentile(durable, 99)),
      insert_notify_ratio: round(base / bare, 2),
    },
    note:
      "timed from calling status.update (includes its durable commit) to receipt, the baseline from calling an INSERT that " +
      `notifies on commit (what the change costs raw PostgreSQL once durable), sampled after each of the engine's; a bare NOTIFY (no WAL flush) arrives after ` +
      `${round(bare, 3)} ms p50 (the baseline is ${round(base / bare, 2)}× it, the engine ${round(p50 / bare, 2)}×); the client had it ` +
      `${round(percentile(afterReturn, 50), 3)} ms p50 after status.update returned (${round(percentile(afterReturn, 50) / bare, 2)}× a NOTIFY)`,
  }];
}
