import { DurablyError } from "../../sdk/errors.ts";
import { createEngine, type Engine } from "../engine.ts";
import { definitionsOf } from "../internal.ts";
import { ROLES, type Role } from "../options.ts";
import { loadDefinables, type Cli } from "./context.ts";
import { intFlag, UsageError, type Flags } from "./flags.ts";

/** `--role`, and the flags that role would ignore refused: a worker serves no port, an API runs nothing. */
function roleFlag(flags: Flags): Role {
  const role = (flags.role ?? "all") as Role;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
  if (role === "worker" && (flags.port !== undefined || flags.host !== undefined || flags.dev)) {
    throw new UsageError(`--role worker serves no HTTP: drop ${flags.dev ? "--dev" : flags.port !== undefined ? "--port" : "--host"}`);
  }
  if (role === "api" && flags.concurrency !== undefined) throw new UsageError("--role api executes no runs: drop --concurrency");
  return role;
}

/** `durably start [entry files…]`: the engine, until SIGINT or SIGTERM. */
export async function startCommand(cli: Cli, files: string[]): Promise<void> {
  const { flags } = cli;
  const role = roleFlag(flags);
  const port = intFlag(flags.port, "port", 0, 65535) ?? 3030;
  const concurrency = intFlag(flags.concurrency, "concurrency", 1, 1000);
  const definables = await loadDefinables(files);
  const local = process.env.DATABASE_URL ? undefined : await (await import("../embedded/local-database.ts")).startLocalDatabase(cli.dataDir());
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
