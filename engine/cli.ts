import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { isDefinable, type Definable } from "../sdk/definable.ts";
import { DurablyError } from "../sdk/errors.ts";
import type { Run, RunStatus } from "../sdk/types.ts";
import { RUN_STATUSES } from "../sdk/types.ts";
import { connect, createEngine } from "./engine.ts";
import { resolveOptions } from "./options.ts";
import { migrate } from "./migrate.ts";
import pg from "pg";

const HELP = `durably — durable workflows on PostgreSQL

Usage:
  durably start [entry files…] [--port 3030] [--concurrency 10] [--dev] [--data-dir .durably/pg]
      Imports the entry files, registers every exported task and every Client's
      jobs, and runs the worker, the HTTP API and the dashboard. Without
      DATABASE_URL it starts an embedded PostgreSQL keeping data in --data-dir.
  durably migrate                       Apply database migrations.
  durably trigger <task-id> [--payload '<json>'] [--tag t]… [--idempotency-key k]
  durably runs list [--status S] [--task id] [--tag t] [--limit n] [--cursor c]
  durably runs get <run-id>
  durably runs retry|replay|cancel <run-id>

Options:
  --json        Print JSON instead of text.
  --schema s    Postgres schema (default "durably", or DURABLY_SCHEMA).
  -h, --help    Show this help.

Environment: DATABASE_URL, DURABLY_SCHEMA, DURABLY_SECRET_KEY.`;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    help: { type: "boolean", short: "h" },
    json: { type: "boolean" },
    schema: { type: "string" },
    port: { type: "string" },
    "data-dir": { type: "string" },
    concurrency: { type: "string" },
    dev: { type: "boolean" },
    payload: { type: "string" },
    tag: { type: "string", multiple: true },
    "idempotency-key": { type: "string" },
    status: { type: "string" },
    task: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
  },
});

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

function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

async function withService<T>(fn: (service: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
  const service = await connect(flags.schema ? { schema: flags.schema } : {});
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}

async function loadDefinables(files: string[]): Promise<Definable[]> {
  const found: Definable[] = [];
  for (const file of files) {
    const exports: Record<string, unknown> = await import(pathToFileURL(resolve(file)).href);
    for (const value of Object.values(exports)) if (isDefinable(value)) found.push(value);
  }
  return found;
}

async function start(files: string[]): Promise<void> {
  const definables = await loadDefinables(files);
  const local = process.env.DATABASE_URL ? undefined : await (await import("./local-database.ts")).startLocalDatabase(resolve(flags["data-dir"] ?? ".durably/pg"));
  const port = intFlag(flags.port, "port") ?? 3030;
  const concurrency = intFlag(flags.concurrency, "concurrency");
  const engine = createEngine({
    ...(local ? { databaseUrl: local.url } : {}),
    ...(flags.schema ? { schema: flags.schema } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(definables.length ? { tasks: definables } : {}),
    http: { port, host: "127.0.0.1" },
    devMode: Boolean(flags.dev) || Boolean(local),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (finishing in-flight steps)…\n`);
    await engine.stop();
    await local?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  try {
    await engine.start();
  } catch (error) {
    await local?.stop();
    throw error;
  }
  const names = engine.definitions.map((d) => `${d.id}@${d.version}`).join(", ") || "none";
  process.stdout.write(`durably is running — tasks: ${names}\n`);
  process.stdout.write(`Dashboard: ${engine.url}\n`);
}

async function main(): Promise<void> {
  const [command, sub, arg] = positionals;
  if (flags.help || !command) {
    process.stdout.write(HELP + "\n");
    return;
  }
  switch (command) {
    case "start":
      return start(positionals.slice(1));
    case "migrate": {
      const o = resolveOptions(flags.schema ? { schema: flags.schema } : {});
      const client = new pg.Client({ connectionString: o.databaseUrl });
      await client.connect();
      try {
        const applied = await migrate(client, o.schema);
        print({ applied }, () => (applied.length ? `Applied migrations ${applied.join(", ")}` : "Already up to date"));
      } finally {
        await client.end();
      }
      return;
    }
    case "trigger": {
      if (!sub) throw new UsageError("durably trigger needs a task id");
      const payload = parseJson(flags.payload, "--payload");
      const key = flags["idempotency-key"];
      const result = await withService((s) =>
        s.trigger({ taskId: sub, payload, options: { ...(flags.tag ? { tags: flags.tag } : {}), ...(key ? { idempotencyKey: key } : {}) } }),
      );
      print(result, () => result.id);
      return;
    }
    case "runs":
      return runsCommand(sub, arg);
    default:
      throw new UsageError(`Unknown command "${command}"`);
  }
}

async function runsCommand(sub: string | undefined, id: string | undefined): Promise<void> {
  if (sub === "list") {
    const status = flags.status?.split(",").map((s) => s.trim().toUpperCase()) as RunStatus[] | undefined;
    for (const s of status ?? []) if (!RUN_STATUSES.includes(s)) throw new UsageError(`Unknown status "${s}"; one of ${RUN_STATUSES.join(", ")}`);
    const limit = intFlag(flags.limit, "limit");
    const list = await withService((s) =>
      s.listRuns({ ...(status ? { status } : {}), ...(flags.task ? { taskIdentifier: flags.task } : {}), ...(flags.tag?.[0] ? { tag: flags.tag[0] } : {}), ...(limit ? { limit } : {}), ...(flags.cursor ? { cursor: flags.cursor } : {}) }),
    );
    print(list, () => (list.data.length ? list.data.map(runLine).join("\n") : "No runs") + (list.nextCursor ? `\nmore: --cursor ${list.nextCursor}` : ""));
    return;
  }
  if (!id) throw new UsageError(`durably runs ${sub ?? "<command>"} needs a run id`);
  switch (sub) {
    case "get": {
      const run = await withService((s) => s.retrieveRun(id));
      print(run, () => JSON.stringify(run, null, 2));
      return;
    }
    case "retry":
    case "replay":
    case "cancel": {
      const result = await withService((s) => (sub === "retry" ? s.retryRun(id) : sub === "replay" ? s.replayRun(id) : s.cancelRun(id)));
      print(result, () => `${sub}: ${result.id}`);
      return;
    }
    default:
      throw new UsageError(`Unknown runs command "${sub}"; use list, get, retry, replay or cancel`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) process.stderr.write(`${error.message}\nRun "durably --help" for usage.\n`);
  else if (error instanceof DurablyError) process.stderr.write(`${error.code}: ${error.message}\n`);
  else process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
