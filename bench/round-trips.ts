import { tapQueries } from "./lib/query-tap.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { threeStepTask } from "./lib/three-steps.ts";
import { sleep } from "./lib/stats.ts";
import { runs } from "../sdk/index.ts";

/**
 * `node --import tsx bench/round-trips.ts [poll]`: counts the statements (round trips) the engine and
 * pg-boss send per run of the throughput benchmark's task (3 steps + 3 status writes), by
 * wrapping node-postgres's `Client.query`. Runs go one at a time so each statement is charged
 * to the run that caused it; idle polling and heartbeats are counted over an idle window of the
 * same length and subtracted. With `poll`, the caller awaits each run with `runs.poll` (its reads
 * counted) instead of a connection of the bench's own watching the table.
 */
const RUNS = 200;
const polled = process.argv[2] === "poll";
const counts = new Map<string, number>();
let counting = false;
tapQueries(({ app = "?", text }) => {
  if (counting && text && app !== "durably-bench") {
    const label = `${app.padEnd(18)} ${text.replace(/\s+/g, " ").trim().slice(0, 90)}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
});

const url = process.env.DATABASE_URL ?? "postgres://root@127.0.0.1:5432/test";
const threeSteps = threeStepTask("bench-round-trips");
const bench = await startBenchEngine(url, "round_trips", { tasks: [threeSteps], concurrency: 1 });
const watcher = await connectClient(url);
const isDone = async (id: string) =>
  (await watcher.query(`SELECT 1 FROM "${bench.schema}".runs WHERE id = $1 AND status = 'SUCCESS'`, [id])).rowCount === 1;
const finish = async (id: string) => {
  if (polled) await runs.poll(id, { timeoutMs: 30_000 });
  else while (!(await isDone(id))) await sleep(2);
};
try {
  for (let i = 0; i < 20; i++) {
    const { id } = await threeSteps.trigger({ i });
    await finish(id);
  }
  await sleep(300);
  counting = true;
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const { id } = await threeSteps.trigger({ i });
    await finish(id);
  }
  // Let the last run's job completion land inside the window.
  await sleep(50);
  const busyMs = performance.now() - t0;
  const busy = new Map(counts);
  counts.clear();
  await sleep(busyMs);
  counting = false;
  const idle = new Map(counts);
  const rows = [...busy].map(([label, n]) => ({ label, perRun: (n - (idle.get(label) ?? 0)) / RUNS, idle: idle.get(label) ?? 0 }));
  rows.sort((a, b) => b.perRun - a.perRun);
  console.log(`${RUNS} runs in ${(busyMs / 1000).toFixed(1)} s; statements per run (idle window of the same length subtracted):`);
  for (const r of rows) console.log(`${r.perRun.toFixed(2).padStart(6)}  (idle ${String(r.idle).padStart(3)})  ${r.label}`);
  console.log(`${rows.reduce((sum, r) => sum + r.perRun, 0).toFixed(2).padStart(6)}  total`);
} finally {
  await watcher.end();
  await bench.close();
}
