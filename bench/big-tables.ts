import pg from "pg";
import { createEngine } from "../engine/index.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { mapLimit, percentile, round } from "./lib/stats.ts";
import { threeStepTask } from "./lib/three-steps.ts";
import { deleteRuns, runTrial, waitForAll } from "./lib/trials.ts";
import { seedRows } from "./seed-rows.ts";

/**
 * `npm run bench -- big-tables` (issue 23; not in the default run: the first fill takes minutes).
 * Fills BENCH_BIG_SCHEMA (default durably_big) up to BENCH_BIG_RUNS finished runs (1,000,000, with
 * 10 journal entries each on average: bench/seed-rows.ts), and keeps it for the next run. Then:
 * GET /api/runs as the dashboard asks for it, first page (list and counts) and a later page (list
 * alone) per filter, requests of all filters interleaved so the machine's drift hits them alike;
 * and the throughput workload on that schema against a fresh empty one, alternated.
 */
const SCHEMA = process.env.BENCH_BIG_SCHEMA ?? "durably_big";
const RUNS = Number(process.env.BENCH_BIG_RUNS ?? 1_000_000);
const JOURNAL_PER_RUN = Number(process.env.BENCH_BIG_JOURNAL_PER_RUN ?? 10);
const SAMPLES = Number(process.env.BENCH_BIG_SAMPLES ?? 200);
/**
 * Throughput trials on each schema, in the order empty, big, big, empty, …: drift hits both alike.
 * Single trials spread ±20% on a shared 2-core machine; with 4 of each, one slow trial moved a
 * median by 10%.
 */
const TRIALS = Number(process.env.BENCH_BIG_TRIALS ?? 6);
/** Runs per timed trial: at 1,500 runs/s a trial of 1,000 lasted under a second, where one checkpoint or autovacuum weighed. */
const TRIAL_RUNS = Number(process.env.BENCH_BIG_TRIAL_RUNS ?? 3000);
const WARMUP_RUNS = 500;
const SECRET = "bench-big-tables-secret-0123456789";
/** How many pages down the later page is read from (its cursor taken by walking there once). */
const DEPTH = 5;

const day = 86_400_000;
function filters(): [string, Record<string, string>][] {
  const mid = Date.now() - 30 * day;
  return [
    ["no filter", {}],
    ["status=FAILURE", { status: "FAILURE" }],
    ["status=QUEUED (none)", { status: "QUEUED" }],
    ["one task (12%)", { taskIdentifier: "generate-invoice" }],
    ["tag env:prod (20%)", { tag: "env:prod" }],
    ["tag customer:17 (rare)", { tag: "customer:17" }],
    ["metadata key", { metadataKey: "region" }],
    ["metadata key=value (rare)", { metadataKey: "customerId", metadataValue: "cus_17" }],
    ["metadata key=value (25%)", { metadataKey: "region", metadataValue: "eu-west" }],
    ["created, one day 30 days ago", { from: new Date(mid).toISOString(), to: new Date(mid + day).toISOString() }],
    ["created, last 7 days", { from: new Date(Date.now() - 7 * day).toISOString() }],
  ];
}

export default async function bigTables(url: string): Promise<Row[]> {
  const fill = await ensureFilled(url);
  const lists = await measureLists(url);
  const throughput = await measureThroughput(url);
  const counts = fill.counts;
  const size = `${counts.runs.toLocaleString("en")} runs, ${counts.journal.toLocaleString("en")} journal rows, ${fill.gib} GiB`;
  const rows: Row[] = lists.map((l) => ({
    id: `big_list_${l.name.replace(/[^a-z0-9]+/gi, "_").toLowerCase()}`,
    row: `big tables: GET /api/runs ${l.name}, first page (list + counts) / next page, p50 / p99`,
    engine: `${round(l.first.p50, 1)} / ${round(l.first.p99, 1)} ms; ${round(l.next.p50, 1)} / ${round(l.next.p99, 1)} ms`,
    baseline: `${round(lists.baseline.p50, 2)} ms p50, GET /api/runs/:id`,
    ratio: round(l.first.p50 / lists.baseline.p50, 1),
    target: "p50 ≤ 20 ms, p99 ≤ 100 ms",
    met: l.first.p50 <= 20 && l.first.p99 <= 100 && l.next.p50 <= 20 && l.next.p99 <= 100,
    data: {
      first_p50_ms: round(l.first.p50), first_p99_ms: round(l.first.p99), next_p50_ms: round(l.next.p50), next_p99_ms: round(l.next.p99),
      samples: SAMPLES, runs: counts.runs, journal_rows: counts.journal, estimated: l.estimated.join(","), at_least: l.atLeast.join(","),
    },
    note: `${size}; counts estimated for ${l.estimated.length ? l.estimated.join(", ") : "none"}, lower bounds (capped) for ${l.atLeast.length ? l.atLeast.join(", ") : "none"}`,
  }));
  const ratio = throughput.big / throughput.empty;
  rows.push({
    id: "big_throughput",
    row: `big tables: throughput (${TRIAL_RUNS.toLocaleString("en")} runs × (3 steps + 3 status), concurrency 32), ${size} vs an empty schema`,
    engine: `${round(throughput.big, 0)} runs/s (median of ${TRIALS}: ${throughput.bigTrials.map((r) => round(r, 0)).join(", ")})`,
    baseline: `${round(throughput.empty, 0)} runs/s empty (${throughput.emptyTrials.map((r) => round(r, 0)).join(", ")})`,
    ratio: round(throughput.empty / throughput.big, 2),
    target: "within 10% of the empty schema",
    met: ratio >= 0.9,
    data: {
      big_runs_per_s: round(throughput.big, 1), empty_runs_per_s: round(throughput.empty, 1), trial_runs: TRIAL_RUNS,
      big_trials: throughput.bigTrials.map((r) => round(r, 1)), empty_trials: throughput.emptyTrials.map((r) => round(r, 1)), order: throughput.order.join(", "),
    },
    note: `trials in order: ${throughput.order.join(", ")} (runs/s; each after an engine start and a warm-up of ${WARMUP_RUNS} runs, the big ones after a VACUUM); ratio = empty ÷ big`,
  });
  return rows;
}

async function ensureFilled(url: string): Promise<{ counts: { runs: number; journal: number }; gib: number }> {
  const client = await connectClient(url);
  try {
    const have = await countRuns(client);
    if (have < RUNS) {
      process.stderr.write(`filling "${SCHEMA}" with ${(RUNS - have).toLocaleString("en")} runs …\n`);
      await seedRows(url, SCHEMA, { runs: RUNS - have, journalPerRun: JOURNAL_PER_RUN });
    }
    const { rows: [row] } = await client.query<{ runs: string; journal: string; bytes: string }>(`
      SELECT (SELECT count(*) FROM "${SCHEMA}".runs) AS runs, (SELECT count(*) FROM "${SCHEMA}".journal) AS journal,
        (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relnamespace = '"${SCHEMA}"'::regnamespace AND c.relkind = 'r') AS bytes`);
    return { counts: { runs: Number(row!.runs), journal: Number(row!.journal) }, gib: round(Number(row!.bytes) / 2 ** 30, 2) };
  } finally {
    await client.end();
  }
}

async function countRuns(client: pg.Client): Promise<number> {
  const { rows: [row] } = await client.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`"${SCHEMA}".runs`]);
  if (!row!.exists) return 0;
  return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${SCHEMA}".runs`)).rows[0]!.n);
}

interface ListResult {
  name: string;
  first: { p50: number; p99: number };
  next: { p50: number; p99: number };
  estimated: string[];
  atLeast: string[];
}

async function measureLists(url: string): Promise<ListResult[] & { baseline: { p50: number } }> {
  // As autovacuum leaves a table between bursts: without it, the runs an earlier run's throughput
  // trials deleted lie at the newest end of every index a list walks, each visited in the heap.
  const client = await connectClient(url);
  await client.query(`VACUUM (ANALYZE) "${SCHEMA}".runs`).finally(() => client.end());
  const engine = createEngine({ databaseUrl: url, schema: SCHEMA, role: "api", http: { port: 0 }, secretKey: SECRET, logLevel: "error" });
  await engine.start();
  try {
    const get = async (path: string) => {
      const t0 = performance.now();
      const response = await fetch(engine.url + path, { headers: { authorization: `Bearer ${SECRET}` } });
      const body = (await response.json()) as { nextCursor: string | null; estimatedCounts: string[]; countsAtLeast: string[]; data: { id: string }[] };
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - t0, body };
    };
    const cases = await Promise.all(filters().map(async ([name, query]) => {
      const base = `/api/runs?${new URLSearchParams({ ...query, limit: "25" })}`;
      // The cursor of the page DEPTH pages down, or of the last page there is.
      let cursor: string | null = null;
      for (let page = 0, at: string | null = null; page < DEPTH; page++) {
        const { body } = await get(at ? `${base}&cursor=${at}` : base);
        if (!body.nextCursor) break;
        cursor = at = body.nextCursor;
      }
      return { name, base, cursor, first: [] as number[], next: [] as number[], estimated: [] as string[], atLeast: [] as string[] };
    }));
    const someRun = (await get("/api/runs?limit=1")).body.data[0]!.id;
    const single: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      for (const c of cases) {
        const first = await get(c.base);
        c.first.push(first.ms);
        c.estimated = first.body.estimatedCounts;
        c.atLeast = first.body.countsAtLeast;
        c.next.push(c.cursor ? (await get(`${c.base}&cursor=${c.cursor}`)).ms : first.ms);
      }
      single.push((await get(`/api/runs/${someRun}`)).ms);
    }
    const p = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });
    const results = cases.map((c) => ({ name: c.name, first: p(c.first), next: p(c.next), estimated: c.estimated, atLeast: c.atLeast }));
    return Object.assign(results, { baseline: { p50: percentile(single, 50) } });
  } finally {
    await engine.stop();
  }
}

async function measureThroughput(url: string): Promise<{ big: number; empty: number; bigTrials: number[]; emptyTrials: number[]; order: string[] }> {
  const task = "bench-big-throughput";
  const threeSteps = threeStepTask(task);
  const options = { tasks: [threeSteps], concurrency: 32, poolSize: 40 };
  const watcher = await connectClient(url);
  const bigTrials: number[] = [];
  const emptyTrials: number[] = [];
  const order: string[] = [];
  // Both schemas alike: an engine started afresh, a warm-up, its runs deleted, then the trial.
  const trial = async (schema: string) => {
    const warmup = await mapLimit(Array.from({ length: WARMUP_RUNS }, (_, i) => i), 32, (i) => threeSteps.trigger({ i }));
    await waitForAll(watcher, schema, warmup.map((run) => run.id), 120_000);
    await deleteRuns(watcher, schema, task);
    const t = await runTrial(watcher, schema, TRIAL_RUNS, (i) => threeSteps.trigger({ i }));
    await deleteRuns(watcher, schema, task);
    return TRIAL_RUNS / t.seconds;
  };
  try {
    for (let i = 0; i < TRIALS * 2; i++) {
      const big = i % 4 === 1 || i % 4 === 2;
      if (big) {
        // Every big trial starts from the tables as autovacuum leaves them, not only the first (after
        // the lists' VACUUM) with the others after the dead rows of the trials before: the free space
        // map VACUUM fills decides where new runs go (migration 45). A fresh empty schema has
        // nothing to vacuum (vacuumed once emptied, its statistics say "no rows" and the trial's
        // statements get plans for an empty table).
        await watcher.query(`VACUUM (ANALYZE) "${SCHEMA}".runs, "${SCHEMA}".journal`);
        const engine = createEngine({ databaseUrl: url, schema: SCHEMA, logLevel: "error", ...options });
        await engine.start();
        try {
          bigTrials.push(await trial(SCHEMA));
        } finally {
          await engine.stop();
        }
      } else {
        const bench = await startBenchEngine(url, "big_empty", options);
        try {
          emptyTrials.push(await trial(bench.schema));
        } finally {
          await bench.close();
        }
      }
      order.push(`${big ? "big" : "empty"} ${round((big ? bigTrials : emptyTrials).at(-1)!, 0)}`);
      process.stderr.write(`throughput trial ${i + 1}/${TRIALS * 2}: ${order.at(-1)} runs/s\n`);
    }
  } finally {
    await watcher.end();
  }
  return { big: percentile(bigTrials, 50), empty: percentile(emptyTrials, 50), bigTrials, emptyTrials, order };
}
