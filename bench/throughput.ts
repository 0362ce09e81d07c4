import { insertCommitThroughput } from "./lib/baseline.ts";
import { cpuNow } from "./lib/cpu.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { threeStepTask } from "./lib/three-steps.ts";
import { mapLimit, round, sleep } from "./lib/stats.ts";

const RUNS = Number(process.env.BENCH_THROUGHPUT_RUNS ?? 1000);
const CONCURRENCY = 32;
/** Triggers in flight at once from this process (parallel batches through the same pool). */
const TRIGGER_PARALLELISM = 32;

/** Row 4: 1,000 runs of 3 no-op steps with a status update per step, worker concurrency 32. */
export default async function throughput(url: string): Promise<Row[]> {
  const threeSteps = threeStepTask("bench-throughput");
  // The pool serves the triggers as well as the 32 runs, so it gets room for both.
  const bench = await startBenchEngine(url, "throughput", { tasks: [threeSteps], concurrency: CONCURRENCY, poolSize: 40 });
  const watcher = await connectClient(url);
  let seconds: number;
  let triggerSeconds: number;
  let cpu: { nodeMs: number; postgresMs: number | null };
  try {
    // Warm-up: prepared statements on every pool connection, pg-boss's queue cache, JIT.
    await mapLimit(Array.from({ length: 64 }, (_, i) => i), TRIGGER_PARALLELISM, (i) => threeSteps.trigger({ i }));
    await waitForAll(watcher, bench.schema, 64, 60_000);
    await watcher.query(`DELETE FROM "${bench.schema}".runs`);

    const { rows: [start] } = await watcher.query<{ at: Date }>("SELECT clock_timestamp() AS at");
    const cpu0 = await cpuNow();
    const t0 = performance.now();
    await mapLimit(Array.from({ length: RUNS }, (_, i) => i), TRIGGER_PARALLELISM, (i) => threeSteps.trigger({ i }));
    triggerSeconds = (performance.now() - t0) / 1000;
    await waitForAll(watcher, bench.schema, RUNS, 240_000);
    const cpu1 = await cpuNow();
    cpu = { nodeMs: cpu1.nodeMs - cpu0.nodeMs, postgresMs: cpu0.postgresMs === null || cpu1.postgresMs === null ? null : cpu1.postgresMs - cpu0.postgresMs };
    const { rows: [end] } = await watcher.query<{ at: Date }>(`SELECT max(finished_at) AS at FROM "${bench.schema}".runs`);
    seconds = (end!.at.getTime() - start!.at.getTime()) / 1000;
  } finally {
    await watcher.end();
    await bench.close();
  }
  const baseline = await insertCommitThroughput(url, 32, 3_000);
  const runsPerSecond = RUNS / seconds;
  return [{
    id: "throughput",
    row: `throughput, ${RUNS} × (3 steps + 3 status), concurrency ${CONCURRENCY}`,
    engine: `${round(runsPerSecond, 0)} runs/s, ${round(runsPerSecond * 3, 0)} steps/s`,
    baseline: `${round(baseline, 0)} INSERT commits/s (32 clients)`,
    // Commits each run costs the engine vs one commit: how many baseline commits one run "spends".
    ratio: round(baseline / runsPerSecond, 1),
    target: "≥ 1,500 runs/s (≥ 5,000 steps/s)",
    met: runsPerSecond >= 1500,
    data: {
      runs: RUNS, concurrency: CONCURRENCY, seconds: round(seconds), runs_per_s: round(runsPerSecond, 1),
      steps_per_s: round(runsPerSecond * 3, 1), trigger_seconds: round(triggerSeconds), baseline_commits_per_s: round(baseline, 1),
      node_cpu_ms_per_run: round(cpu.nodeMs / RUNS), postgres_cpu_ms_per_run: cpu.postgresMs === null ? null : round(cpu.postgresMs / RUNS),
    },
    note: `ratio = baseline commits/s ÷ engine runs/s; CPU per run: Node ${round(cpu.nodeMs / RUNS)} ms` +
      (cpu.postgresMs === null ? "" : `, PostgreSQL ${round(cpu.postgresMs / RUNS)} ms (all postgres processes on this machine)`),
  }];
}

async function waitForAll(client: Awaited<ReturnType<typeof connectClient>>, schema: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows: [row] } = await client.query<{ done: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status = 'SUCCESS')::int AS done,
              count(*) FILTER (WHERE status IN ('FAILURE', 'CANCELED'))::int AS failed FROM "${schema}".runs`,
    );
    if (row!.failed > 0) throw new Error(`${row!.failed} runs failed`);
    if (row!.done >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${row!.done} of ${count} runs finished in ${timeoutMs} ms`);
    await sleep(50);
  }
}
