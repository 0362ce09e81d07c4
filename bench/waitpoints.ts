import { task, wait } from "../sdk/index.ts";
import { BLOCK, insertCommitThroughput, openInsertProbe } from "./lib/baseline.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { mapLimit, percentile, round, sleep } from "./lib/stats.ts";
import { serviceOf } from "../engine/internal.ts";

const SAMPLES = 200;
const WARMUP = 20;
const RUNS = Number(process.env.BENCH_WAITPOINT_RUNS ?? 1_000);
const WAITING = Number(process.env.BENCH_WAITPOINT_WAITING ?? 10_000);
const MiB = 1024 * 1024;
const CONCURRENCY = 32;
/** Connections for the baseline's INSERT loop, opened once the engine has closed its own. */
const BASELINE_CLIENTS = 16;

/**
 * Waitpoint tokens: `wait.completeToken` returns → the waiting run's next step starts (one run at
 * a time, idle worker), create + trigger + complete + resume for 1,000 runs each waiting on a
 * token of its own, and a worker's RSS before and after 10,000 runs wait on tokens (after a full
 * GC), then how long completing them all takes to resume them all.
 */
export default async function waitpoints(url: string): Promise<Row[]> {
  let resumed: ((at: number) => void) | undefined;
  const approval = task<{ token: string }, null>({
    id: "bench-waitpoint",
    run: async ({ token }, { io }) => {
      await wait.forToken(token);
      await io.runTask("after", async () => resumed?.(performance.now()));
      return null;
    },
  });
  const bench = await startBenchEngine(url, "waitpoints", { tasks: [approval], concurrency: CONCURRENCY, poolSize: 20 });
  const client = await connectClient(url);
  const runs = `"${bench.schema}".runs`;
  const count = async (status: string) => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${runs} WHERE status = $1`, [status])).rows[0]!.n;
  const waitFor = async (status: string, n: number) => {
    while ((await count(status)) < n) await sleep(20);
  };
  const probe = await openInsertProbe(url);
  try {
    const fromReturn: number[] = [];
    const fromCall: number[] = [];
    const commits: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const token = await wait.createToken();
      const { id } = await approval.trigger({ token: token.id });
      while ((await serviceOf(bench.engine).retrieveRun(id)).status !== "WAITING") await sleep(2);
      // Idle worker: the dispatcher is back to waiting when the completion comes.
      await sleep(5);
      const started = new Promise<number>((resolve) => (resumed = resolve));
      const t0 = performance.now();
      await wait.completeToken(token.id, { i });
      const t1 = performance.now();
      const at = await started;
      if (i >= WARMUP) {
        fromReturn.push(at - t1);
        fromCall.push(at - t0);
      }
      await serviceOf(bench.engine).pollRun(id, 10_000);
      if (i >= WARMUP && (i - WARMUP) % BLOCK === BLOCK - 1) await probe.block(BLOCK * 2, commits);
    }
    resumed = undefined;
    const commit = { p50: percentile(commits, 50), p99: percentile(commits, 99) };
    const p50 = percentile(fromReturn, 50);
    const p99 = percentile(fromReturn, 99);

    await client.query(`DELETE FROM ${runs}`);
    const t0 = performance.now();
    const tokens = await mapLimit(Array.from({ length: RUNS }, (_, i) => i), CONCURRENCY, () => wait.createToken());
    await mapLimit(tokens, CONCURRENCY, (token) => approval.trigger({ token: token.id }));
    await waitFor("WAITING", RUNS);
    const tWaiting = performance.now();
    await mapLimit(tokens, CONCURRENCY, (token) => wait.completeToken(token.id, "ok"));
    await waitFor("SUCCESS", RUNS);
    const seconds = (performance.now() - t0) / 1000;
    const resumeSeconds = (performance.now() - tWaiting) / 1000;
    const perSecond = RUNS / seconds;

    await client.query(`DELETE FROM ${runs}`);
    const before = await settledMemory();
    const many = await mapLimit(Array.from({ length: WAITING }, (_, i) => i), CONCURRENCY, () => wait.createToken());
    await mapLimit(many, CONCURRENCY, (token) => approval.trigger({ token: token.id }));
    await waitFor("WAITING", WAITING);
    const after = await settledMemory();
    const w0 = performance.now();
    await mapLimit(many, CONCURRENCY, (token) => wait.completeToken(token.id, "ok"));
    await waitFor("SUCCESS", WAITING);
    const wakeAllSeconds = (performance.now() - w0) / 1000;
    const addedRss = (after.rss - before.rss) / MiB;

    await probe.close();
    await client.end();
    await bench.close();
    const inserts = await insertCommitThroughput(url, BASELINE_CLIENTS, 3_000);

    return [
      {
        id: "waitpoint_complete_to_step",
        row: "completeToken returned → next step started p50 / p99 (idle worker)",
        engine: `${round(p50, 2)} / ${round(p99, 2)} ms`,
        baseline: `${round(commit.p50, 3)} / ${round(commit.p99, 3)} ms (INSERT commit)`,
        ratio: round(p50 / commit.p50, 1),
        target: "p50 ≤ 3× INSERT commit",
        met: p50 <= 3 * commit.p50,
        data: {
          samples: SAMPLES, p50_ms: round(p50), p99_ms: round(p99), commit_p50_ms: round(commit.p50), commit_p99_ms: round(commit.p99),
          call_p50_ms: round(percentile(fromCall, 50)), call_p99_ms: round(percentile(fromCall, 99)),
        },
      },
      {
        id: "waitpoint_throughput",
        row: `create + complete + resume, ${RUNS.toLocaleString("en")} runs on a token each`,
        engine: `${round(perSecond, 1)} runs/s (resume all ${round(resumeSeconds, 2)} s)`,
        baseline: `${round(inserts, 0)} INSERT commits/s (${BASELINE_CLIENTS} clients)`,
        ratio: round(inserts / perSecond, 1),
        target: "—",
        met: null,
        data: { runs: RUNS, seconds: round(seconds, 2), runs_per_s: round(perSecond, 1), resume_all_s: round(resumeSeconds, 2), insert_commits_per_s: round(inserts, 0) },
      },
      {
        id: "waitpoint_waiting_10k",
        row: `${WAITING.toLocaleString("en")} runs waiting on tokens: RSS before → after, complete all`,
        engine: `${round(before.rss / MiB, 1)} → ${round(after.rss / MiB, 1)} MiB (+${round(addedRss, 1)}); complete + resume all ${round(wakeAllSeconds, 2)} s`,
        baseline: "—",
        ratio: null,
        target: "< 50 MiB added; all resume",
        met: addedRss < 50,
        data: {
          runs: WAITING, rss_before_mib: round(before.rss / MiB, 1), rss_after_mib: round(after.rss / MiB, 1), rss_added_mib: round(addedRss, 1),
          gc_available: typeof global.gc === "function", complete_and_resume_all_s: round(wakeAllSeconds, 2),
        },
      },
    ];
  } catch (error) {
    await Promise.allSettled([probe.close(), client.end(), bench.close()]);
    throw error;
  }
}

async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  await sleep(500);
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await sleep(50);
  }
  return process.memoryUsage();
}
