import { execFileSync, spawn } from "node:child_process";
import { mkdir, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { EmbeddedPostgres } from "../engine/embedded/embedded-postgres.ts";
import { RESULT_PREFIX, type Row } from "./lib/row.ts";

/**
 * `npm run bench [-- name …]`: runs every benchmark (or the named ones) against DATABASE_URL,
 * or an embedded PostgreSQL in .durably/bench-pg when it is unset, prints one table and writes
 * bench/results/latest.json.
 */
const BENCHMARKS = ["trigger-latency", "step-overhead", "status-metadata", "throughput", "replay", "journal-size", "waiting-runs", "push-latency", "caller-workload", "waiters", "pooler", "waitpoints", "run-logs", "streams", "subscribers"];
/**
 * Run only when named: big-tables fills a schema of a million runs first (minutes, kept for the next
 * run); purge-under-load and partition-purge seed and purge hundreds of thousands of runs (minutes).
 */
const OPT_IN = ["big-tables", "purge-under-load", "partition-purge"];
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

const only = process.argv.slice(2);
const selected = only.length ? [...BENCHMARKS, ...OPT_IN].filter((b) => only.includes(b)) : BENCHMARKS;
if (only.length && selected.length !== only.length) {
  console.error(`unknown benchmark in ${only.join(", ")}; known: ${[...BENCHMARKS, ...OPT_IN].join(", ")}`);
  process.exit(2);
}

let embedded: EmbeddedPostgres | undefined;
const stopEmbedded = async () => {
  const e = embedded;
  embedded = undefined;
  await e?.stop();
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stopEmbedded().finally(() => process.exit(130)));
}

try {
  let url = process.env.DATABASE_URL;
  let database = "DATABASE_URL";
  if (!url) {
    // Imported only when needed, so a run against DATABASE_URL never loads embedded-postgres.
    const { startEmbeddedPostgres } = await import("../engine/embedded/embedded-postgres.ts");
    embedded = await startEmbeddedPostgres({ dataDir: path.join(root, ".durably", "bench-pg") });
    url = embedded.url;
    database = "embedded (.durably/bench-pg)";
  }
  const machine = await describeMachine(url, database);
  console.log(`machine: ${machine.cores} cores (${machine.cpu}), ${machine.postgres}, Node ${machine.node}, synchronous_commit=${machine.synchronous_commit}, database: ${database}`);

  const started = performance.now();
  const rows: Row[] = [];
  const failures: { benchmark: string; error: string }[] = [];
  for (const name of selected) {
    const t0 = performance.now();
    process.stdout.write(`running ${name} … `);
    try {
      const result = await runChild(path.join(here, `${name}.ts`), url);
      rows.push(...result);
      console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (error) {
      console.log("FAILED");
      failures.push({ benchmark: name, error: (error as Error).message });
    }
  }
  const totalSeconds = (performance.now() - started) / 1000;

  console.log();
  console.log(renderTable(rows));
  for (const row of rows) if (row.note) console.log(`  ${row.id}: ${row.note}`);
  for (const f of failures) console.log(`FAILED ${f.benchmark}: ${f.error}`);
  console.log(`total ${totalSeconds.toFixed(1)} s`);

  const out = path.join(here, "results", "latest.json");
  await mkdir(path.dirname(out), { recursive: true });
  const json = { at: new Date().toISOString(), machine, total_seconds: Math.round(totalSeconds * 10) / 10, rows, failures };
  await writeFile(out + ".tmp", JSON.stringify(json, null, 2) + "\n");
  await rename(out + ".tmp", out);
  console.log(`wrote ${path.relative(root, out)}`);
  process.exitCode = failures.length ? 1 : 0;
} finally {
  await stopEmbedded();
}

async function describeMachine(url: string, database: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const version = (await client.query<{ v: string }>("SELECT version() AS v")).rows[0]!.v;
    const sync = (await client.query<{ synchronous_commit: string }>("SHOW synchronous_commit")).rows[0]!.synchronous_commit;
    return {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model.trim() ?? "unknown",
      memory_gib: Math.round(os.totalmem() / 2 ** 30),
      postgres: version.split(" on ")[0]!,
      node: process.version,
      synchronous_commit: sync,
      database,
      code: codeVersion(),
    };
  } finally {
    await client.end();
  }
}

/** The commit measured, and whether engine or sdk code had uncommitted changes (BENCH_CODE overrides). */
function codeVersion(): string {
  if (process.env.BENCH_CODE) return process.env.BENCH_CODE;
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "engine", "sdk", "migrations"], { cwd: root, encoding: "utf8" }).trim();
    return dirty ? `${commit} + uncommitted engine/sdk changes` : commit;
  } catch {
    return "unknown";
  }
}

function runChild(file: string, url: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", path.join(here, "lib", "child.ts"), file], {
      cwd: root,
      env: { ...process.env, BENCH_DATABASE_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as Row[]);
      reject(new Error(`exit ${code}: ${stderr.trim().split("\n").slice(-8).join("\n")}`));
    });
  });
}

function renderTable(rows: Row[]): string {
  const header = ["row", "engine", "raw Postgres baseline", "ratio", "target", "met"];
  const body = rows.map((r) => [r.row, r.engine, r.baseline, r.ratio === null ? "—" : `${r.ratio}×`, r.target, r.met === null ? "—" : r.met ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(header), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n");
}
