import fs from "node:fs";
import { execFileSync } from "node:child_process";
import type pg from "pg";
import { createEngine } from "../engine/index.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { mapLimit, round } from "./lib/stats.ts";
import { threeStepTask } from "./lib/three-steps.ts";
import { deleteRuns, runTrial, waitForAll } from "./lib/trials.ts";

/**
 * Where the big-tables throughput row's time goes, statement by statement (issue 23): the row's
 * trials (bench/big-tables.ts: an engine started afresh, a warm-up, the big schema vacuumed first),
 * empty and big alternated, each with `pg_stat_statements` reset before it and `pg_stat_wal` read
 * around it. Prints per trial the runs per second, WAL and full-page images per run, the
 * statements' time per run and, with BENCH_PGDATA (the cluster's data directory, on this machine),
 * the CPU of the cluster's processes per run; then per statement, big against empty, per run.
 * Needs `shared_preload_libraries = 'pg_stat_statements'` and the extension in the database:
 *
 *     DATABASE_URL=… BENCH_BIG_SCHEMA=sl_big BENCH_PGDATA=/var/lib/postgresql/15/bigtp node --import tsx bench/big-tables-statements.ts
 *
 * BENCH_BIG_TRIAL_RUNS (3,000), BENCH_BIG_TRIALS (each kind, 6); BENCH_BIG_VACUUM=0 leaves the big
 * schema to autovacuum, as a database in use is. The schema must be filled first (bench/seed-rows.ts).
 */
const url = process.env.DATABASE_URL!;
const SCHEMA = process.env.BENCH_BIG_SCHEMA ?? "durably_big";
const TRIAL_RUNS = Number(process.env.BENCH_BIG_TRIAL_RUNS ?? 3000);
const TRIALS = Number(process.env.BENCH_BIG_TRIALS ?? 6);
const PGDATA = process.env.BENCH_PGDATA;
const VACUUM = process.env.BENCH_BIG_VACUUM !== "0";
const WARMUP_RUNS = 500;
const TASK = "bench-big-throughput";

interface Statement { query: string; calls: number; ms: number; hit: number; read: number; dirtied: number; wal: number; fpi: number }
interface Trial { kind: "big" | "empty"; rps: number; walBytes: number; fpi: number; cpuMs: number | null; statements: Statement[]; load: string }

/** CPU seconds of the cluster's postmaster and its children, from /proc (Linux, same machine). */
function clusterCpu(): number | null {
  if (!PGDATA) return null;
  const pid = fs.readFileSync(`${PGDATA}/postmaster.pid`, "utf8").split("\n")[0]!.trim();
  const children = execFileSync("pgrep", ["-P", pid]).toString().split("\n").filter(Boolean);
  let ticks = 0;
  for (const p of [pid, ...children]) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // A backend that ended meanwhile.
    }
  }
  return ticks / 100;
}

async function wal(client: pg.Client): Promise<{ bytes: number; fpi: number }> {
  const { rows: [w] } = await client.query<{ wal_bytes: string; wal_fpi: string }>("SELECT wal_bytes, wal_fpi FROM pg_stat_wal");
  return { bytes: Number(w!.wal_bytes), fpi: Number(w!.wal_fpi) };
}

async function trial(client: pg.Client, kind: "big" | "empty"): Promise<Trial> {
  const threeSteps = threeStepTask(TASK);
  const options = { tasks: [threeSteps], concurrency: 32, poolSize: 40 };
  let schema = SCHEMA;
  let close: () => Promise<void>;
  if (kind === "big") {
    if (VACUUM) await client.query(`VACUUM (ANALYZE) "${SCHEMA}".runs, "${SCHEMA}".journal`);
    const engine = createEngine({ databaseUrl: url, schema: SCHEMA, logLevel: "error", ...options });
    await engine.start();
    close = () => engine.stop();
  } else {
    const bench = await startBenchEngine(url, "big_empty", options);
    schema = bench.schema;
    close = () => bench.close();
  }
  try {
    const warmup = await mapLimit(Array.from({ length: WARMUP_RUNS }, (_, i) => i), 32, (i) => threeSteps.trigger({ i }));
    await waitForAll(client, schema, warmup.map((run) => run.id), 120_000);
    await deleteRuns(client, schema, TASK);
    await client.query("SELECT pg_stat_statements_reset()");
    const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    const [walBefore, cpuBefore] = [await wal(client), clusterCpu()];
    const t = await runTrial(client, schema, TRIAL_RUNS, (i) => threeSteps.trigger({ i }));
    await client.query("SELECT pg_stat_clear_snapshot()");
    const [walAfter, cpuAfter] = [await wal(client), clusterCpu()];
    const { rows } = await client.query<Statement>(`
      SELECT replace(query, $1, 'S') AS query, calls::int, total_exec_time AS ms, shared_blks_hit::float8 AS hit,
        shared_blks_read::float8 AS read, shared_blks_dirtied::float8 AS dirtied, wal_bytes::float8 AS wal, wal_fpi::float8 AS fpi
      FROM pg_stat_statements WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`, [`"${schema}"`]);
    await deleteRuns(client, schema, TASK);
    return {
      kind, rps: TRIAL_RUNS / t.seconds, load, statements: rows,
      walBytes: (walAfter.bytes - walBefore.bytes) / TRIAL_RUNS, fpi: (walAfter.fpi - walBefore.fpi) / TRIAL_RUNS,
      cpuMs: cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / TRIAL_RUNS,
    };
  } finally {
    await close();
  }
}

/** Per statement (its text with the schema taken out), each kind's mean per run over its trials. */
function compare(trials: Trial[]): void {
  const perRun = new Map<string, Record<"big" | "empty", Statement>>();
  for (const t of trials) {
    const n = trials.filter((x) => x.kind === t.kind).length * TRIAL_RUNS;
    for (const s of t.statements) {
      const key = s.query.replace(/\s+/g, " ").trim();
      const zero = { query: key, calls: 0, ms: 0, hit: 0, read: 0, dirtied: 0, wal: 0, fpi: 0 };
      const entry = perRun.get(key) ?? { big: { ...zero }, empty: { ...zero } };
      for (const k of ["calls", "ms", "hit", "read", "dirtied", "wal", "fpi"] as const) entry[t.kind][k] += s[k] / n;
      perRun.set(key, entry);
    }
  }
  const ranked = [...perRun.entries()].sort((a, b) => b[1].big.ms + b[1].empty.ms - a[1].big.ms - a[1].empty.ms).slice(0, 12);
  console.log("\nper run, empty → big: statement ms, calls, buffers hit / read / dirtied, WAL bytes, full-page images");
  for (const [query, { big, empty }] of ranked) {
    const f = (k: keyof Omit<Statement, "query">, digits: number) => `${round(empty[k], digits)} → ${round(big[k], digits)}`;
    // A journal batch with a claim and one without begin alike.
    const name = `${query.includes("picked AS") ? "(claiming) " : ""}${query.slice(0, 140)}`;
    console.log(`\n${name}\n  ${f("ms", 3)} ms; calls ${f("calls", 2)}; hit ${f("hit", 1)}, read ${f("read", 2)}, dirtied ${f("dirtied", 2)}; WAL ${f("wal", 0)} B; fpi ${f("fpi", 3)}`);
  }
}

async function main(): Promise<void> {
  const client = await connectClient(url);
  const trials: Trial[] = [];
  try {
    // empty, big, big, empty, …: drift hits both alike.
    for (let i = 0; i < TRIALS * 2; i++) {
      const t = await trial(client, i % 4 === 1 || i % 4 === 2 ? "big" : "empty");
      trials.push(t);
      const statementMs = t.statements.reduce((sum, s) => sum + s.ms, 0) / TRIAL_RUNS;
      console.log(`${t.kind.padEnd(5)} ${round(t.rps, 0)} runs/s; per run: WAL ${round(t.walBytes / 1024, 2)} kB, fpi ${round(t.fpi, 3)}, statements ${round(statementMs, 3)} ms${t.cpuMs === null ? "" : `, cluster CPU ${round(t.cpuMs, 3)} ms`}; load ${t.load}`);
    }
  } finally {
    await client.end();
  }
  compare(trials);
}

await main();
