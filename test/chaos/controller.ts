import { mkdir, rm } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { connect, createEngine } from "durably/engine";
import { WaitpointCompletedError } from "durably";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../engine/embedded/embedded-postgres.ts";
import { CHAOS_TASK_ID, sideTableDdl, tokenOutput, type ChaosPayload } from "./chaos-task.ts";
import { verifyChaos, type ChaosFigures } from "./verify.ts";
import { Workers } from "./workers.ts";

export interface ChaosOptions {
  runs: number;
  steps: number;
  workers: number;
  /**
   * Most kill -9s to deal out, one every 1–3 s while runs are unfinished; Infinity: until done.
   * A finite number is also spread over the progress (the k-th by k/(kills+2) of the runs
   * finished), so a fast run still gets all of them.
   */
  kills: number;
  /** Postgres restarts, spread over the run (at 1/(n+1), 2/(n+1), … of the runs finished). */
  restarts: number;
  /** How long each step sleeps, at random between the two (ms). */
  stepMs: [number, number];
  /** Runs each worker executes at once. */
  concurrency: number;
  killIntervalMs: [number, number];
  timeoutMs: number;
  /** Where the cluster, its logs and the workers' logs go. */
  outDir: string;
  log?: (line: string) => void;
}

export interface ChaosReport {
  ok: boolean;
  figures: ChaosFigures;
  kills: number;
  restarts: number;
  unexpectedWorkerExits: number;
  /** Waitpoint tokens the controller completed, and second completions sent alongside that were refused. */
  tokensCompleted: number;
  secondCompletionsRefused: number;
  seconds: number;
  timedOut: boolean;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SCHEMA = "chaos";
const SIDE_TABLE = `chaos_side.effects`;

export const DEFAULT_CHAOS: ChaosOptions = {
  runs: 1000, steps: 10, workers: 3, kills: Infinity, restarts: 2, concurrency: 10, stepMs: [1, 5],
  killIntervalMs: [1_000, 3_000], timeoutMs: 15 * 60_000, outDir: path.join(ROOT, "test-output", "chaos"),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts its own embedded Postgres (never the machine's shared one), runs the workload on
 * worker processes while killing them and restarting Postgres, then checks the end state.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.join(options.outDir, "pg");
  await rm(options.outDir, { recursive: true, force: true });
  await mkdir(options.outDir, { recursive: true });
  const pgLog = createWriteStream(path.join(options.outDir, "postgres.log"));
  let postgres: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, port: 0, log: (line) => pgLog.write(line + "\n") });
  const databaseUrl = postgres.url;
  const port = Number(new URL(databaseUrl).port);
  log(`embedded PostgreSQL on port ${port} (${dataDir})`);

  const workers = new Workers({ databaseUrl, schema: SCHEMA, sideTable: SIDE_TABLE, concurrency: options.concurrency, logDir: options.outDir });
  let kills = 0;
  let restarts = 0;
  let timedOut = false;
  const tokens = { completed: 0, refused: 0 };
  let backend: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    await enqueue(databaseUrl, options);
    backend = await connect({ databaseUrl, schema: SCHEMA });
    log(`${options.runs} runs of ${options.steps} steps queued; starting ${options.workers} workers`);
    const startedAt = Date.now();
    await Promise.all(Array.from({ length: options.workers }, (_, slot) => workers.start(slot)));

    let nextKillAt = startedAt + between(options.killIntervalMs);
    let lastReport = 0;
    for (;;) {
      const finished = await countFinished(databaseUrl).catch(() => undefined);
      if (finished !== undefined && finished >= options.runs) break;
      if (Date.now() - startedAt > options.timeoutMs) {
        timedOut = true;
        break;
      }
      if (finished !== undefined && Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        log(`${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${finished}/${options.runs} runs finished, ${kills} kills, ${restarts} restarts`);
      }
      const killDue =
        Date.now() >= nextKillAt || (Number.isFinite(options.kills) && (finished ?? 0) >= ((kills + 1) * options.runs) / (options.kills + 2));
      if (kills < options.kills && killDue) {
        const slot = Math.floor(Math.random() * options.workers);
        kills++;
        log(`kill -9 worker ${slot} (${kills})`);
        await workers.kill(slot);
        await workers.start(slot);
        nextKillAt = Date.now() + between(options.killIntervalMs);
      }
      if (finished !== undefined && restarts < options.restarts && finished >= ((restarts + 1) * options.runs) / (options.restarts + 1)) {
        restarts++;
        log(`restarting PostgreSQL (${restarts}/${options.restarts}) at ${finished} runs finished`);
        await postgres.stop();
        await sleep(1_000);
        postgres = await startEmbeddedPostgres({ dataDir, port, log: (line) => pgLog.write(line + "\n") });
        if (postgres.url !== databaseUrl) throw new Error(`PostgreSQL came back on another address: ${postgres.url}`);
        nextKillAt = Date.now() + between(options.killIntervalMs);
      }
      await completeSomeTokens(backend, databaseUrl, tokens).catch(() => undefined);
      // A worker that died on its own (an engine bug) is restarted too, and counted.
      await workers.reviveDead().catch((error: Error) => log(`restarting a worker failed: ${error.message}`));
      await sleep(200);
    }
    const seconds = (Date.now() - startedAt) / 1000;
    await workers.stopAll();
    const figures = await verifyChaos(databaseUrl, SCHEMA, SIDE_TABLE, options.runs, options.steps);
    const ok =
      !timedOut && figures.problems.length === 0 && workers.unexpectedExits === 0 &&
      figures.statuses.SUCCESS === options.runs && figures.runsWithFullJournal === options.runs;
    return {
      ok, figures, kills, restarts, unexpectedWorkerExits: workers.unexpectedExits, seconds, timedOut,
      tokensCompleted: tokens.completed, secondCompletionsRefused: tokens.refused,
    };
  } finally {
    await backend?.close().catch(() => undefined);
    await workers.stopAll().catch(() => undefined);
    await postgres.stop();
    pgLog.end();
  }
}

function between([min, max]: [number, number]): number {
  return min + Math.random() * (max - min);
}

async function enqueue(databaseUrl: string, options: ChaosOptions): Promise<void> {
  const setup = new pg.Client({ connectionString: databaseUrl });
  await setup.connect();
  await setup.query(`CREATE SCHEMA chaos_side; ${sideTableDdl(SIDE_TABLE)}`);
  await setup.end();
  // A backend that only triggers installs nothing: an engine that runs nothing installs the schema first.
  const installer = createEngine({ databaseUrl, schema: SCHEMA, worker: false, tasks: [], logLevel: "silent" });
  await installer.start();
  await installer.stop();
  const service = await connect({ databaseUrl, schema: SCHEMA });
  try {
    const payload: ChaosPayload = { steps: options.steps, stepMs: options.stepMs };
    for (let i = 0; i < options.runs; i += 50) {
      const batch = Math.min(50, options.runs - i);
      await Promise.all(Array.from({ length: batch }, () => service.trigger({ taskId: CHAOS_TASK_ID, taskVersion: "1", payload })));
    }
  } finally {
    await service.close();
  }
}

/**
 * Completes about half the waiting tokens, at whatever moment this is (workers being killed,
 * PostgreSQL restarting); one in five gets a second completion at the same time, which must be
 * refused. Failures from a database that is down are left for the next round.
 */
async function completeSomeTokens(backend: Awaited<ReturnType<typeof connect>>, databaseUrl: string, tokens: { completed: number; refused: number }): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2_000 });
  client.on("error", () => undefined);
  await client.connect();
  let waiting: string[];
  try {
    waiting = (await client.query<{ id: string }>(`SELECT id FROM "${SCHEMA}".waitpoints WHERE status = 'WAITING'`)).rows.map((r) => r.id);
  } finally {
    await client.end().catch(() => undefined);
  }
  const complete = (id: string) =>
    backend.completeWaitToken(id, tokenOutput(id)).then(
      () => "completed" as const,
      (error: unknown) => (error instanceof WaitpointCompletedError ? ("refused" as const) : ("failed" as const)),
    );
  await Promise.all(waiting.filter(() => Math.random() < 0.5).map(async (id) => {
    const outcomes = await Promise.all(Math.random() < 0.2 ? [complete(id), complete(id)] : [complete(id)]);
    tokens.completed += outcomes.filter((o) => o === "completed").length;
    if (outcomes.length === 2 && outcomes.includes("completed")) tokens.refused += outcomes.filter((o) => o === "refused").length;
  }));
}

async function countFinished(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${SCHEMA}".runs WHERE status IN ('SUCCESS', 'FAILURE', 'CANCELED')`);
    return rows[0]!.n;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function formatReport(options: ChaosOptions, report: ChaosReport): string {
  const f = report.figures;
  const lines = [
    `chaos: ${options.runs} runs × ${options.steps} steps on ${options.workers} workers (concurrency ${options.concurrency} each)`,
    `  kill -9s:                         ${report.kills}`,
    `  PostgreSQL restarts:              ${report.restarts}`,
    `  time to finish:                   ${report.seconds.toFixed(1)} s${report.timedOut ? " (TIMED OUT)" : ""}`,
    `  run statuses:                     ${Object.entries(f.statuses).map(([s, n]) => `${s} ${n}`).join(", ")}`,
    `  runs with all ${options.steps} steps journaled: ${f.runsWithFullJournal}/${options.runs}`,
    `  side-effect rows:                 ${f.sideRows} for ${options.runs * options.steps} steps`,
    `  missing side effects:             ${f.missingSideEffects}`,
    `  duplicates, transactional steps:  ${f.transactionalDuplicates}`,
    `  duplicates, other steps:          ${f.nonTransactionalDuplicates} (steps in flight at a kill or restart: at-least-once)`,
    `  journal/side-table mismatches:    ${f.journalMismatches}`,
    `  waitpoint tokens completed:       ${report.tokensCompleted} (second completions refused: ${report.secondCompletionsRefused})`,
    `  waitpoint mismatches:             ${f.waitpointMismatches}`,
    `  worker exits nobody asked for:    ${report.unexpectedWorkerExits}`,
    report.ok ? "  RESULT: nothing lost" : `  RESULT: FAILED\n${f.problems.slice(0, 20).map((p) => `    - ${p}`).join("\n")}`,
  ];
  return lines.join("\n");
}
