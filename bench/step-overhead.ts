import { task } from "../sdk/index.ts";
import { BLOCK, openInsertProbe } from "./lib/baseline.ts";
import type { Row } from "./lib/row.ts";
import { startBenchEngine } from "./lib/schema.ts";
import { percentile, round } from "./lib/stats.ts";

const STEPS = 2000;

/**
 * Row 2: sequential `io.runTask` of a no-op, each step timed from inside the run, every 50 steps
 * followed by 50 raw INSERT commits (the baseline) on a connection of its own.
 */
export default async function stepOverhead(url: string): Promise<Row[]> {
  const durations: number[] = [];
  const commits: number[] = [];
  const probe = await openInsertProbe(url);
  const steps = task<{ steps: number; record: boolean }, number>({
    id: "bench-step-overhead",
    run: async ({ steps: n, record }, { io }) => {
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await io.runTask(`step-${i}`, async () => null);
        if (record) {
          durations.push(performance.now() - t0);
          if (durations.length % BLOCK === 0) await probe.block(BLOCK, commits);
        }
      }
      return n;
    },
  });
  const bench = await startBenchEngine(url, "steps", { tasks: [steps] });
  try {
    const warm = await steps.trigger({ steps: 50, record: false });
    await bench.finished(warm.id, 60_000);
    const { id } = await steps.trigger({ steps: STEPS, record: true });
    const status = await bench.finished(id, 120_000);
    if (status !== "SUCCESS") throw new Error(`step run ended ${status}`);
  } finally {
    await bench.close();
    await probe.close();
  }
  const commit = { p50: percentile(commits, 50) };
  const p50 = percentile(durations, 50);
  return [{
    id: "per_step",
    row: "per-step overhead, io.runTask no-op, p50",
    engine: `${round(p50, 3)} ms/step (p99 ${round(percentile(durations, 99), 2)})`,
    baseline: `${round(commit.p50, 3)} ms (INSERT commit)`,
    ratio: round(p50 / commit.p50, 2),
    target: "≤ 2× commit",
    met: p50 <= 2 * commit.p50,
    data: { steps: STEPS, p50_ms: round(p50), p99_ms: round(percentile(durations, 99)), commit_p50_ms: round(commit.p50) },
  }];
}
