import { task, wait } from "../sdk/index.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { mapLimit, round, sleep } from "./lib/stats.ts";

const RUNS = Number(process.env.BENCH_WAITING_RUNS ?? 10_000);
const CALIBRATION = 500;
const CONCURRENCY = 32;
const MiB = 1024 * 1024;

/** The wake-up time the runs' code reads when it first executes (it is journaled from then on). */
let wakeAt = 0;

/**
 * Row 6: 10,000 runs suspended in `wait.for`, all due at the same moment. Worker RSS before
 * and after they are all WAITING (after a full GC), then the time from the due moment until
 * every run is SUCCESS.
 */
export default async function waitingRuns(url: string): Promise<Row[]> {
  const sleeper = task<{ i: number }, number>({
    id: "bench-waiting",
    run: async ({ i }) => {
      await wait.for({ seconds: Math.max(0, (wakeAt - Date.now()) / 1000) });
      return i;
    },
  });
  const bench = await startBenchEngine(url, "waiting", { tasks: [sleeper], concurrency: CONCURRENCY, poolSize: 40 });
  const client = await connectClient(url);
  const runs = `"${bench.schema}".runs`;
  const count = async (status: string) =>
    (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${runs} WHERE status = $1`, [status])).rows[0]!.n;
  const waitFor = async (status: string, n: number, deadline: number) => {
    while ((await count(status)) < n) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  };
  try {
    // Calibration doubles as warm-up: how fast this machine suspends runs sets the shared due time.
    wakeAt = Date.now() + 1_000;
    const c0 = performance.now();
    await mapLimit(Array.from({ length: CALIBRATION }, (_, i) => i), 32, (i) => sleeper.trigger({ i }));
    await waitFor("SUCCESS", CALIBRATION, Date.now() + 60_000);
    const perRunMs = (performance.now() - c0) / CALIBRATION;
    await client.query(`DELETE FROM ${runs}`);

    const before = await settledMemory();
    wakeAt = Date.now() + Math.min(150_000, RUNS * perRunMs + 5_000);
    const t0 = performance.now();
    await mapLimit(Array.from({ length: RUNS }, (_, i) => i), 32, (i) => sleeper.trigger({ i }));
    const allWaiting = await waitFor("WAITING", RUNS, wakeAt - 500);
    const suspendSeconds = (performance.now() - t0) / 1000;
    const after = await settledMemory();
    const dueIn = wakeAt - Date.now();
    await waitFor("SUCCESS", RUNS, wakeAt + 240_000);
    const { rows: [last] } = await client.query<{ at: Date }>(`SELECT max(finished_at) AS at FROM ${runs}`);
    const wakeSeconds = (last!.at.getTime() - wakeAt) / 1000;
    const addedRss = (after.rss - before.rss) / MiB;
    return [{
      id: "waiting_10k",
      row: `${RUNS.toLocaleString("en")} runs in wait.for: RSS before → after, wake all`,
      engine: `${round(before.rss / MiB, 1)} → ${round(after.rss / MiB, 1)} MiB (+${round(addedRss, 1)}); wake all ${round(wakeSeconds, 2)} s`,
      baseline: "—",
      ratio: null,
      target: "< 50 MiB added",
      met: addedRss < 50,
      data: {
        runs: RUNS, rss_before_mib: round(before.rss / MiB, 1), rss_after_mib: round(after.rss / MiB, 1), rss_added_mib: round(addedRss, 1),
        heap_before_mib: round(before.heapUsed / MiB, 1), heap_after_mib: round(after.heapUsed / MiB, 1),
        gc_available: typeof global.gc === "function", all_waiting_before_due: allWaiting, slack_before_due_s: round(dueIn / 1000, 1),
        suspend_all_s: round(suspendSeconds, 2), wake_all_s: round(wakeSeconds, 2), wake_runs_per_s: round(RUNS / wakeSeconds, 1),
      },
      note: allWaiting ? undefined : "not every run was WAITING before the due time",
    }];
  } finally {
    await client.end();
    await bench.close();
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
