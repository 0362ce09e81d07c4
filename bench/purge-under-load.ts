import { runs } from "../sdk/index.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { threeStepTask } from "./lib/three-steps.ts";
import { mapLimit, percentile, round } from "./lib/stats.ts";
import { seedRows } from "./seed-rows.ts";

/** Finished runs seeded, then purged while the throughput workload runs (issue 23: 500,000). */
const PURGE_RUNS = Number(process.env.BENCH_PURGE_RUNS ?? 500_000);
const RUNS = 1000;
const CONCURRENCY = 32;
const TRIGGER_PARALLELISM = 32;
/** Trials before the purge and after it, whose median is the rate without a purge. */
const QUIET_TRIALS = Number(process.env.BENCH_PURGE_QUIET_TRIALS ?? 3);
const TASK = "bench-purge-load";

type Client = Awaited<ReturnType<typeof connectClient>>;

/**
 * The throughput row (1,000 runs of 3 steps and 3 status updates, concurrency 32) with and without
 * a purge running meanwhile, in one process on one database: trials before the purge, trials back
 * to back for as long as `runs.purge` deletes PURGE_RUNS seeded runs (bench/seed-rows.ts: 10
 * journal entries each on average, created over 60 days) in its batches of 500 trees, then trials
 * after it. Reports the median of each, the drop, and the purge's rate. Behind its name in
 * bench/run.ts: seeding and purging 500,000 runs take minutes.
 */
export default async function purgeUnderLoad(url: string): Promise<Row[]> {
  const threeSteps = threeStepTask(TASK);
  const bench = await startBenchEngine(url, "purge_load", { tasks: [threeSteps], concurrency: CONCURRENCY, poolSize: 40 });
  const watcher = await connectClient(url);
  const s = `"${bench.schema}"`;
  try {
    const seeded = await seedRows(url, bench.schema, { runs: PURGE_RUNS, journalPerRun: 10, days: 60 });
    const trial = () => runTrial(watcher, s, (i) => threeSteps.trigger({ i }));
    await trial();
    const before: number[] = [];
    for (let i = 0; i < QUIET_TRIALS; i++) before.push(await trial());

    const purgeStarted = performance.now();
    let purgeSeconds = 0;
    const purge = runs.purge({ olderThan: "1h" }).then((result) => {
      purgeSeconds = (performance.now() - purgeStarted) / 1000;
      return result;
    });
    let purging = true;
    void purge.finally(() => (purging = false)).catch(() => undefined);
    const during: number[] = [];
    // A trial counts as "during" only if the purge was still running when it ended.
    while (purging) {
      const rate = await trial();
      if (purging) during.push(rate);
    }
    const purged = await purge;
    const after: number[] = [];
    for (let i = 0; i < QUIET_TRIALS; i++) after.push(await trial());

    const quiet = percentile([...before, ...after], 50);
    const loaded = percentile(during, 50);
    const drop = during.length === 0 ? NaN : 1 - loaded / quiet;
    const journalPerSecond = (seeded.journalRows - (await seededJournalLeft(watcher, s))) / purgeSeconds;
    return [{
      id: "purge-under-load",
      row: `throughput while runs.purge deletes ${PURGE_RUNS.toLocaleString("en")} seeded runs (${seeded.journalRows.toLocaleString("en")} journal rows)`,
      engine: `${round(loaded, 0)} runs/s during the purge (median of ${during.length}), purge ${round(purged.count / purgeSeconds, 0)} runs/s`,
      baseline: `${round(quiet, 0)} runs/s without it (median of ${before.length + after.length}, before and after)`,
      ratio: during.length === 0 ? null : round(quiet / loaded, 2),
      target: "throughput drops < 20% meanwhile",
      met: during.length === 0 ? null : drop < 0.2,
      data: {
        seeded_runs: PURGE_RUNS, seeded_journal_rows: seeded.journalRows, seed_seconds: round(seeded.seconds, 1),
        purged_runs: purged.count, purge_seconds: round(purgeSeconds, 1), purge_runs_per_s: round(purged.count / purgeSeconds, 1),
        purge_journal_rows_per_s: round(journalPerSecond, 0), runs_per_s_quiet: round(quiet, 1), runs_per_s_during: round(loaded, 1),
        drop: round(drop, 3), trials_before: before.map((r) => round(r, 0)), trials_during: during.map((r) => round(r, 0)),
        trials_after: after.map((r) => round(r, 0)),
      },
      note: `before ${before.map((r) => round(r, 0)).join(", ")}; during ${during.map((r) => round(r, 0)).join(", ")}; after ${after.map((r) => round(r, 0)).join(", ")} runs/s; ` +
        `purge: ${purged.count.toLocaleString("en")} runs in ${round(purgeSeconds, 1)} s, ${round(journalPerSecond, 0)} journal rows/s; ` +
        `drop ${round(drop * 100, 1)}% (both sides measured in this run, on the same database)`,
    }];
  } finally {
    await watcher.end();
    await bench.close();
  }
}

/** Journal rows of seeded runs the purge left (the trials' own runs add rows meanwhile). */
async function seededJournalLeft(client: Client, s: string): Promise<number> {
  const { rows: [row] } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${s}.journal j JOIN ${s}.runs r ON r.id = j.run_id WHERE r.task_id <> $1`, [TASK]);
  return row!.n;
}

/** RUNS runs, timed by the database's clock from before the first trigger to the last one's finish; runs/s. */
async function runTrial(client: Client, s: string, trigger: (i: number) => Promise<unknown>): Promise<number> {
  const { rows: [start] } = await client.query<{ at: Date }>("SELECT clock_timestamp() AS at");
  await mapLimit(Array.from({ length: RUNS }, (_, i) => i), TRIGGER_PARALLELISM, trigger);
  const deadline = Date.now() + 600_000;
  for (;;) {
    const { rows: [row] } = await client.query<{ done: number; failed: number; end: Date | null }>(
      `SELECT count(*) FILTER (WHERE status = 'SUCCESS')::int AS done, count(*) FILTER (WHERE status IN ('FAILURE', 'CANCELED'))::int AS failed,
        max(finished_at) AS end FROM ${s}.runs WHERE task_id = $1 AND created_at >= $2`, [TASK, start!.at]);
    if (row!.failed > 0) throw new Error(`${row!.failed} runs failed`);
    if (row!.done >= RUNS) return RUNS / ((row!.end!.getTime() - start!.at.getTime()) / 1000);
    if (Date.now() > deadline) throw new Error(`only ${row!.done} of ${RUNS} runs finished in 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
