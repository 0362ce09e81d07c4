import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { inspect, parseArgs } from "node:util";
import { configure, disconnect } from "../../sdk/backend.ts";
import { isDefinable, uniqueDefinitions, type Definable } from "../../sdk/definable.ts";
import { DurablyError } from "../../sdk/errors.ts";
import type { Json, Run, RunStatus, ScheduleRecord } from "../../sdk/types.ts";
import { checkRuns, type CheckResult } from "../check/check-runs.ts";
import { checkExitCode, formatCheck } from "../check/report.ts";
import { describeError } from "./describe-error.ts";
import { Database } from "../db/database.ts";
import { buildStatements } from "../db/sql/index.ts";
import { createLogger } from "../logger.ts";
import { RUN_STATUSES } from "../../sdk/types.ts";
import { connect } from "../backends/direct.ts";
import { createEngine, type Engine } from "../engine.ts";
import { installScheduler } from "../jobs/pg-boss.ts";
import { resolveOptions, ROLES, type Role } from "../options.ts";
import { migrateAt } from "../migrate.ts";
import { waitpointsCommand } from "../waitpoints/cli-command.ts";
import { definitionsOf } from "../internal.ts";

const HELP = `durably — durable workflows on PostgreSQL

Usage:
  durably start [entry files…] [--role all|worker|api] [--port 3030] [--host 127.0.0.1] [--concurrency 10] [--dev] [--data-dir .durably/pg]
      Imports the entry files, registers every exported task and every Client's
      jobs, and runs the worker, the HTTP API and the dashboard. --role worker
      runs only the worker (no HTTP), --role api only the HTTP API and dashboard;
      any number of each can share one database. Without DATABASE_URL it starts
      an embedded PostgreSQL keeping data in --data-dir.
  durably migrate                       Apply database migrations.
  durably trigger <task-id> [--payload '<json>'] [--tag t]… [--idempotency-key k] [--max-duration seconds]
  durably runs list [--status S] [--task id] [--tag t] [--limit n] [--cursor c]
  durably runs get <run-id>
  durably runs retry|replay|cancel <run-id>
  durably runs fork <run-id> --from-seq N
      A new run replaying the journal before seq N and executing again from there.
  durably schedules list [--task id]
  durably schedules create <task-id> --cron "<expr>" [--timezone tz] [--payload '<json>'] [--deduplication-key k]
  durably schedules delete <schedule-id>
  durably waitpoints list [--status S] [--tag t]… [--run id] [--limit n] [--cursor c]
  durably waitpoints get <waitpoint-id>
  durably waitpoints complete <waitpoint-id> --output '<json>'
      Completes a waitpoint token (the first completion wins) and wakes the runs waiting on it.
  durably check <entry files…> [--run id] [--task id] [--since ISO-date]
      Replays recorded journals against the code in the entry files, without side
      effects, and prints the first divergence of each run. Exits 1 on any.

Options:
  --json        Print JSON instead of text.
  --schema s    Postgres schema (default "durably", or DURABLY_SCHEMA).
  --data-dir d  Without DATABASE_URL, every command uses the embedded PostgreSQL in d
                (default .durably/pg): the one "durably start" runs, or else started
                for the command and stopped after it.
  --verbose     On an error, print its stack trace too.
  -h, --help    Show this help.

Environment: DATABASE_URL, DATABASE_DIRECT_URL (a direct connection when DATABASE_URL
goes through a pooler such as PgBouncer), DURABLY_SCHEMA, DURABLY_SECRET_KEY.`;

const { values: flags, positionals } = parseCommandLine();

/** Node's own message for an unknown flag or a flag without its value is the one line to show. */
function parseCommandLine() {
  try {
    return parseFlags();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nRun "durably --help" for usage.\n`);
    process.exit(1);
  }
}

function parseFlags() {
  return parseArgs({
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      verbose: { type: "boolean" },
      json: { type: "boolean" },
      schema: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      role: { type: "string" },
      "data-dir": { type: "string" },
      concurrency: { type: "string" },
      dev: { type: "boolean" },
      payload: { type: "string" },
      tag: { type: "string", multiple: true },
      "idempotency-key": { type: "string" },
      "max-duration": { type: "string" },
      "from-seq": { type: "string" },
      run: { type: "string" },
      since: { type: "string" },
      cron: { type: "string" },
      timezone: { type: "string" },
      "deduplication-key": { type: "string" },
      status: { type: "string" },
      task: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      output: { type: "string" },
    },
  });
}

class UsageError extends Error {}

function print(value: unknown, text: () => string): void {
  process.stdout.write((flags.json ? JSON.stringify(value, null, 2) : text()) + "\n");
}

function runLine(run: Run): string {
  const took = run.finishedAt && run.startedAt ? `${run.finishedAt.getTime() - run.startedAt.getTime()} ms` : "";
  return [run.id, run.status.padEnd(9), run.taskIdentifier, run.createdAt.toISOString(), took].join("  ");
}

function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** An integer flag, refused here when the engine or the HTTP API would refuse it (or ignore it). */
function intFlag(value: string | undefined, name: string, min: number, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer ${max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`}`);
  }
  return n;
}

/** The embedded database's URL when there is no DATABASE_URL (see `main`). */
let localUrl: string | undefined;

function connection(): { schema?: string; databaseUrl?: string } {
  return { ...(flags.schema ? { schema: flags.schema } : {}), ...(localUrl ? { databaseUrl: localUrl } : {}) };
}

const dataDir = () => resolve(flags["data-dir"] ?? ".durably/pg");

async function withService<T>(fn: (service: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
  const service = await connect(connection());
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}

async function loadDefinables(files: string[]): Promise<Definable[]> {
  const found: Definable[] = [];
  for (const file of files) {
    if (!existsSync(resolve(file))) throw new UsageError(`Entry file "${file}" not found`);
    let exports: Record<string, unknown>;
    try {
      exports = await import(pathToFileURL(resolve(file)).href);
    } catch (error) {
      throw new Error(`Cannot load ${file}: ${(error as Error).message}`, { cause: error });
    }
    for (const value of Object.values(exports)) if (isDefinable(value)) found.push(value);
  }
  return found;
}

/** `--role`, and the flags that role would ignore refused: a worker serves no port, an API runs nothing. */
function roleFlag(): Role {
  const role = (flags.role ?? "all") as Role;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
  if (role === "worker" && (flags.port !== undefined || flags.host !== undefined || flags.dev)) {
    throw new UsageError(`--role worker serves no HTTP: drop ${flags.dev ? "--dev" : flags.port !== undefined ? "--port" : "--host"}`);
  }
  if (role === "api" && flags.concurrency !== undefined) throw new UsageError("--role api executes no runs: drop --concurrency");
  return role;
}

async function start(files: string[]): Promise<void> {
  const role = roleFlag();
  const port = intFlag(flags.port, "port", 0, 65535) ?? 3030;
  const concurrency = intFlag(flags.concurrency, "concurrency", 1, 1000);
  const definables = await loadDefinables(files);
  const local = process.env.DATABASE_URL ? undefined : await (await import("../embedded/local-database.ts")).startLocalDatabase(dataDir());
  let engine: Engine | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (finishing in-flight steps)…\n`);
    await engine?.stop();
    await local?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  try {
    engine = createEngine({
      ...(local ? { databaseUrl: local.url } : {}),
      ...(flags.schema ? { schema: flags.schema } : {}),
      ...(concurrency ? { concurrency } : {}),
      ...(definables.length ? { tasks: definables } : {}),
      role,
      ...(role === "worker" ? {} : { http: { port, host: flags.host ?? "127.0.0.1" } }),
      devMode: Boolean(flags.dev) || Boolean(local),
    });
    await engine.start();
  } catch (error) {
    // A start that failed half-way (the port taken, say) may already have opened pools and a worker.
    await engine?.stop().catch(() => undefined);
    await local?.stop();
    if (error instanceof DurablyError && error.code === "NO_SECRET_KEY") {
      throw new UsageError("The HTTP API needs a secret key: set DURABLY_SECRET_KEY (at least 16 characters), or pass --dev for local use only");
    }
    throw error;
  }
  const names = definitionsOf(engine).map((d) => `${d.id}@${d.version}`).join(", ") || "none";
  process.stdout.write(`durably is running${role === "all" ? "" : ` as ${role}`} — tasks: ${names}\n`);
  if (engine.url) process.stdout.write(`Dashboard: ${engine.url}\n`);
}

const COMMANDS = ["start", "migrate", "trigger", "runs", "schedules", "check", "waitpoints"];

async function main(): Promise<void> {
  const [command] = positionals;
  if (flags.help || !command) {
    process.stdout.write(HELP + "\n");
    return;
  }
  if (!COMMANDS.includes(command)) throw new UsageError(`Unknown command "${command}"`);
  if (command === "start" || process.env.DATABASE_URL) return run();
  // Without DATABASE_URL, commands use the embedded database that `durably start` runs.
  const local = await (await import("../embedded/local-database.ts")).openLocalDatabase(dataDir());
  localUrl = local.url;
  try {
    await run();
  } finally {
    await local.stop();
  }
}

async function run(): Promise<void> {
  const [command, sub, arg] = positionals;
  switch (command) {
    case "start":
      return start(positionals.slice(1));
    case "migrate": {
      const o = resolveOptions(connection());
      const applied = await migrateAt(o.directUrl, o.schema);
      // pg-boss's tables too: a backend that only triggers sends jobs into them and installs nothing.
      await installScheduler({ databaseUrl: o.directUrl, schema: o.schema, heartbeatSeconds: o.heartbeatSeconds, recoverySeconds: o.recoverySeconds }, createLogger("warn"));
      print({ applied }, () => (applied.length ? `Applied migrations ${applied.join(", ")}` : "Already up to date"));
      return;
    }
    case "trigger": {
      if (!sub) throw new UsageError("durably trigger needs a task id");
      const payload = parseJson(flags.payload, "--payload");
      const key = flags["idempotency-key"];
      const maxDuration = flags["max-duration"] === undefined ? undefined : Number(flags["max-duration"]);
      if (maxDuration !== undefined && !(maxDuration > 0)) throw new UsageError("--max-duration must be a positive number of seconds");
      const result = await withService((s) =>
        s.trigger({ taskId: sub, payload, options: {
          ...(flags.tag ? { tags: flags.tag } : {}), ...(key ? { idempotencyKey: key } : {}), ...(maxDuration ? { maxDuration } : {}),
        } }),
      );
      print(result, () => result.id);
      return;
    }
    case "runs":
      return runsCommand(sub, arg);
    case "schedules":
      return schedulesCommand(sub, arg);
    case "check":
      return check(positionals.slice(1));
    case "waitpoints":
      return waitpointsCommand({
        flags: { ...flags, limit: intFlag(flags.limit, "limit", 1, 100) },
        print, withBackend: withService, parseJson, usage: (message) => new UsageError(message),
      }, sub, arg);
  }
}

const RUN_COMMANDS = ["get", "retry", "replay", "cancel", "fork"];

function unknownCommand(command: string, sub: string | undefined, choices: string): UsageError {
  return new UsageError(`${sub ? `Unknown ${command} command "${sub}"` : `durably ${command} needs a command`}; use ${choices}`);
}

async function runsCommand(sub: string | undefined, id: string | undefined): Promise<void> {
  if (sub === "list") {
    const status = flags.status?.split(",").map((s) => s.trim().toUpperCase()) as RunStatus[] | undefined;
    for (const s of status ?? []) if (!RUN_STATUSES.includes(s)) throw new UsageError(`Unknown status "${s}"; one of ${RUN_STATUSES.join(", ")}`);
    const limit = intFlag(flags.limit, "limit", 1, 100);
    const list = await withService((s) =>
      s.listRuns({ ...(status ? { status } : {}), ...(flags.task ? { taskIdentifier: flags.task } : {}), ...(flags.tag?.[0] ? { tag: flags.tag[0] } : {}), ...(limit ? { limit } : {}), ...(flags.cursor ? { cursor: flags.cursor } : {}) }),
    );
    print(list, () => (list.data.length ? list.data.map(runLine).join("\n") : "No runs") + (list.nextCursor ? `\nmore: --cursor ${list.nextCursor}` : ""));
    return;
  }
  // Checked before the run id, which an unknown command would otherwise be told it lacks.
  if (!sub || !RUN_COMMANDS.includes(sub)) throw unknownCommand("runs", sub, "list, get, retry, replay, cancel or fork");
  if (!id) throw new UsageError(`durably runs ${sub} needs a run id`);
  switch (sub) {
    case "get": {
      const run = await withService((s) => s.retrieveRun(id));
      print(run, () => JSON.stringify(run, null, 2));
      return;
    }
    case "retry":
    case "replay": {
      const result = await withService((s) => (sub === "retry" ? s.retryRun(id) : s.replayRun(id)));
      print(result, () => `${sub}: ${result.id}`);
      return;
    }
    case "cancel": {
      // A finished run stays as it is: say so, rather than report a cancel that did nothing.
      const run = await withService(async (s) => {
        await s.cancelRun(id);
        return s.retrieveRun(id);
      });
      print({ id, status: run.status }, () => (run.status === "CANCELED" ? `cancel: ${id}` : `${id} had already finished (${run.status}): nothing to cancel`));
      return;
    }
    case "fork": {
      const fromSeq = intFlag(flags["from-seq"], "from-seq", 1);
      if (fromSeq === undefined) throw new UsageError("durably runs fork needs --from-seq N");
      const result = await withService((s) => s.forkRun(id, { fromSeq }));
      print(result, () => `fork: ${result.id}`);
      return;
    }
  }
}

function scheduleLine(s: ScheduleRecord): string {
  return [s.id, s.task, `"${s.cron}"`, s.timezone, s.deduplicationKey, s.declarative ? "(declared on the task)" : ""].join("  ");
}

async function schedulesCommand(sub: string | undefined, arg: string | undefined): Promise<void> {
  switch (sub) {
    case "list": {
      const list = await withService((s) => s.listSchedules(flags.task ? { task: flags.task } : {}));
      print(list, () => (list.length ? list.map(scheduleLine).join("\n") : "No schedules"));
      return;
    }
    case "create": {
      if (!arg || !flags.cron) throw new UsageError('durably schedules create needs a task id and --cron "<expr>"');
      const timezone = flags.timezone ?? "UTC";
      const payload = flags.payload === undefined ? undefined : (parseJson(flags.payload, "--payload") as Json);
      const created = await withService((s) => s.createSchedule({
        task: arg, cron: flags.cron!, timezone, deduplicationKey: flags["deduplication-key"] ?? `${arg}:${flags.cron}:${timezone}`,
        ...(payload === undefined ? {} : { payload }),
      }));
      print(created, () => scheduleLine(created));
      return;
    }
    case "delete": {
      if (!arg) throw new UsageError("durably schedules delete needs a schedule id");
      const result = await withService((s) => s.deleteSchedule(arg));
      print(result, () => `deleted: ${result.id}`);
      return;
    }
    default:
      throw unknownCommand("schedules", sub, "list, create or delete");
  }
}

async function check(files: string[]): Promise<void> {
  if (files.length === 0) throw new UsageError("durably check needs the entry files that define your tasks");
  const since = flags.since === undefined ? undefined : new Date(flags.since);
  if (since && Number.isNaN(since.getTime())) throw new UsageError("--since must be an ISO date");
  const definitions = uniqueDefinitions(await loadDefinables(files));
  const o = resolveOptions(connection());
  const db = new Database(o.databaseUrl, 2, createLogger("warn"), { namedStatements: !o.pooled });
  // A replayed wait.createToken reads its token's URL back (its journal keeps only the id): from
  // this schema, on a pool opened only if some run asks.
  configure({ databaseUrl: o.databaseUrl, schema: o.schema });
  let results: CheckResult[];
  try {
    results = await checkRuns(db, buildStatements(o.schema), definitions, {
      ...(flags.run ? { runId: flags.run } : {}), ...(flags.task ? { taskId: flags.task } : {}), ...(since ? { since } : {}),
    });
  } finally {
    await db.end();
    await disconnect();
  }
  print(results, () => formatCheck(results));
  process.exitCode = checkExitCode(results);
}

main().then(() => {
  // The entry files `check` imports may hold timers or pools open; its verdict is the exit code.
  if (positionals[0] === "check") process.exit();
}, (error: unknown) => {
  if (error instanceof UsageError) process.stderr.write(`${error.message}\nRun "durably --help" for usage.\n`);
  else process.stderr.write(`${describeError(error)}\n`);
  if (flags.verbose) process.stderr.write(`${inspect(error)}\n`);
  process.exit(1);
});
