import { startPgBouncer } from "../test/helpers/pgbouncer.ts";
import { withScratch } from "./lib/baseline.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine, type BenchEngine } from "./lib/schema.ts";
import { threeStepTask } from "./lib/three-steps.ts";
import { mapLimit, percentile, round, sleep } from "./lib/stats.ts";
import { serviceOf } from "../engine/internal.ts";

const RUNS = Number(process.env.BENCH_POOLER_RUNS ?? 1000);
/**
 * Trials per path. Each trial runs the three paths back to back and the row reads the median of
 * the per-trial ratios: on this noisy 2-core VM a path's own runs/s moved 2–3× between trials
 * (other work on the machine), while paths measured a second apart see the same machine.
 */
const TRIALS = Number(process.env.BENCH_POOLER_TRIALS ?? 5);
const CONCURRENCY = 32;
const TRIGGER_PARALLELISM = 32;
/** The engine's pool (40, as in the throughput row) and pg-boss's (10) fit: the pooler is no bottleneck of server connections. */
const POOL_SIZE = 50;
const BASELINE_CLIENTS = 32;
const BASELINE_MS = 2_000;

type Path = "direct" | "pooled" | "unnamed";

/**
 * The throughput row's workload (RUNS × 3 steps + 3 status updates, worker concurrency 32) on
 * three engines of one process, each on a schema of its own: `direct` (no pooler, named prepared
 * statements), `pooled` (DATABASE_URL through PgBouncer in transaction mode, DATABASE_DIRECT_URL
 * for LISTEN: unnamed statements) and `unnamed` (no pooler, but unnamed statements), which splits
 * the pooled path's cost into what the statements cost and what the pooler's hop costs. Raw
 * PostgreSQL's own cost of the same pooler is the baseline: single-row INSERT commits from 32
 * clients through it (unnamed, as they must be there) against direct (named).
 */
export default async function pooler(url: string): Promise<Row[]> {
  const bouncer = await startPgBouncer(url, { poolMode: "transaction", poolSize: POOL_SIZE });
  const threeSteps = threeStepTask("bench-pooler");
  const options = { tasks: [threeSteps], concurrency: CONCURRENCY, poolSize: 40 };
  const engines: Partial<Record<Path, BenchEngine>> = {};
  const rates: Record<Path, number[]> = { direct: [], pooled: [], unnamed: [] };
  const baseline: { direct: number[]; pooled: number[] } = { direct: [], pooled: [] };
  try {
    engines.direct = await startBenchEngine(url, "pooler_direct", options);
    engines.pooled = await startBenchEngine(bouncer.url, "pooler_pooled", { ...options, directUrl: url });
    // A direct URL that differs from databaseUrl only in its text makes the engine send unnamed statements on a direct connection.
    engines.unnamed = await startBenchEngine(url, "pooler_unnamed", { ...options, directUrl: withParameter(url, "application_name", "durably-bench") });
    const watcher = await connectClient(url);
    try {
      for (const path of ["direct", "pooled", "unnamed"] as const) await trial(watcher, engines[path]!, RUNS); // warm-up
      for (let t = 0; t < TRIALS; t++) {
        for (const path of ["direct", "pooled", "unnamed"] as const) rates[path].push(RUNS / (await trial(watcher, engines[path]!, RUNS)));
      }
    } finally {
      await watcher.end();
    }
  } finally {
    for (const engine of Object.values(engines)) await engine.close();
  }
  try {
    for (let t = 0; t < 3; t++) {
      baseline.direct.push(await insertThroughput(url, url, true));
      baseline.pooled.push(await insertThroughput(url, bouncer.url, false));
    }
  } finally {
    await bouncer.stop();
  }
  const median = (xs: number[]) => percentile(xs, 50);
  const share = (of: number[], to: number[]) => median(of.map((x, i) => x / to[i]!));
  const pooledShare = share(rates.pooled, rates.direct);
  const unnamedShare = share(rates.unnamed, rates.direct);
  const rawShare = share(baseline.pooled, baseline.direct);
  const pct = (x: number) => `${round(x * 100, 0)}%`;
  const range = (xs: number[]) => `${round(Math.min(...xs), 0)}–${round(Math.max(...xs), 0)}`;
  return [{
    id: "pooler",
    row: `throughput through PgBouncer (transaction mode) vs direct, ${RUNS} × (3 steps + 3 status), concurrency ${CONCURRENCY}, median of ${TRIALS} paired trials`,
    engine: `pooled ${pct(pooledShare)} of direct (${round(median(rates.pooled), 0)} vs ${round(median(rates.direct), 0)} runs/s)`,
    baseline: `pooled ${pct(rawShare)} of direct (${round(median(baseline.pooled), 0)} vs ${round(median(baseline.direct), 0)} INSERT commits/s)`,
    // What the pooler costs the engine against what it costs raw PostgreSQL: > 1, the engine loses more.
    ratio: round(rawShare / pooledShare, 2),
    target: "pooled ≥ 50% of direct",
    met: pooledShare >= 0.5,
    data: {
      runs: RUNS, trials: TRIALS, concurrency: CONCURRENCY, pgbouncer_pool_size: POOL_SIZE,
      direct_runs_per_s: rates.direct.map((r) => round(r, 1)), pooled_runs_per_s: rates.pooled.map((r) => round(r, 1)),
      direct_unnamed_runs_per_s: rates.unnamed.map((r) => round(r, 1)),
      baseline_direct_commits_per_s: baseline.direct.map((r) => round(r, 1)), baseline_pooled_commits_per_s: baseline.pooled.map((r) => round(r, 1)),
    },
    note: `ratio = raw share ÷ engine share; with unnamed statements and no pooler the engine ran at ${pct(unnamedShare)} of direct ` +
      `(what parsing and planning every statement costs; the pooled path adds the pooler's hop and its CPU on this machine to it); ` +
      `trials: direct ${range(rates.direct)}, pooled ${range(rates.pooled)}, unnamed ${range(rates.unnamed)} runs/s; ` +
      `raw INSERT commits/s direct ${range(baseline.direct)}, pooled ${range(baseline.pooled)}`,
  }];
}

/** Seconds from before the first trigger to the last run's finish, by the database's clock. */
async function trial(watcher: Awaited<ReturnType<typeof connectClient>>, bench: BenchEngine, runs: number): Promise<number> {
  const { rows: [start] } = await watcher.query<{ at: Date }>("SELECT clock_timestamp() AS at");
  const service = serviceOf(bench.engine);
  await mapLimit(Array.from({ length: runs }, (_, i) => i), TRIGGER_PARALLELISM, (i) => service.trigger({ taskId: "bench-pooler", payload: { i } }));
  const deadline = Date.now() + 240_000;
  for (;;) {
    const { rows: [row] } = await watcher.query<{ done: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status = 'SUCCESS')::int AS done,
              count(*) FILTER (WHERE status IN ('FAILURE', 'CANCELED'))::int AS failed FROM "${bench.schema}".runs`,
    );
    if (row!.failed > 0) throw new Error(`${row!.failed} runs failed on ${bench.schema}`);
    if (row!.done >= runs) break;
    if (Date.now() > deadline) throw new Error(`only ${row!.done} of ${runs} runs finished on ${bench.schema}`);
    await sleep(50);
  }
  const { rows: [end] } = await watcher.query<{ at: Date }>(`SELECT max(finished_at) AS at FROM "${bench.schema}".runs`);
  await watcher.query(`DELETE FROM "${bench.schema}".runs`);
  return (end!.at.getTime() - start!.at.getTime()) / 1000;
}

/**
 * Single-row autocommit INSERTs per second from BASELINE_CLIENTS connections to `via`, on a scratch
 * table made through `url`. Named (prepared once per connection) only where a connection is a session.
 */
function insertThroughput(url: string, via: string, named: boolean): Promise<number> {
  return withScratch(url, async (table) => {
    const clients = await Promise.all(Array.from({ length: BASELINE_CLIENTS }, () => connectClient(via)));
    try {
      const text = `INSERT INTO ${table} (v) VALUES ($1)`;
      const query = named ? { name: "bench_pooler_insert", text, values: ["x"] } : { text, values: ["x"] };
      await Promise.all(clients.map((c) => c.query(query)));
      let count = 0;
      const t0 = performance.now();
      const deadline = t0 + BASELINE_MS;
      await Promise.all(clients.map(async (c) => {
        while (performance.now() < deadline) {
          await c.query(query);
          count++;
        }
      }));
      return count / ((performance.now() - t0) / 1000);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });
}

function withParameter(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}
