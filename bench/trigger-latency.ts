import { task } from "../sdk/index.ts";
import { insertCommitLatency } from "./lib/baseline.ts";
import type { Row } from "./lib/row.ts";
import { startBenchEngine } from "./lib/schema.ts";
import { percentile, round, sleep } from "./lib/stats.ts";
import { serviceOf } from "../engine/internal.ts";

const SAMPLES = 200;
const WARMUP = 20;

/** Row 1: `trigger()` called → the run's code starts executing, one run at a time on an idle worker. */
export default async function triggerLatency(url: string): Promise<Row[]> {
  let started: ((at: number) => void) | undefined;
  const probe = task<{ i: number }, null>({
    id: "bench-trigger-latency",
    run: async () => {
      started?.(performance.now());
      return null;
    },
  });
  const bench = await startBenchEngine(url, "trigger", { tasks: [probe] });
  const samples: number[] = [];
  try {
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const start = new Promise<number>((resolve) => (started = resolve));
      const t0 = performance.now();
      const { id } = await probe.trigger({ i });
      const at = await start;
      if (i >= WARMUP) samples.push(at - t0);
      // Idle worker: let this run finish and the dispatcher go back to waiting before the next trigger.
      await serviceOf(bench.engine).pollRun(id, 10_000);
      await sleep(5);
    }
  } finally {
    await bench.close();
  }
  const commit = await insertCommitLatency(url, 500);
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  return [{
    id: "trigger_to_started",
    row: "trigger → run started p50 / p99 (idle worker)",
    engine: `${round(p50, 2)} / ${round(p99, 2)} ms`,
    baseline: `${round(commit.p50, 3)} / ${round(commit.p99, 3)} ms (INSERT commit)`,
    ratio: round(p50 / commit.p50, 1),
    target: "p50 ≤ 5 ms",
    met: p50 <= 5,
    data: { samples: SAMPLES, p50_ms: round(p50), p99_ms: round(p99), commit_p50_ms: round(commit.p50), commit_p99_ms: round(commit.p99) },
  }];
}
