import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export interface PgBouncer {
  /** The target database's URL, through the pooler. */
  url: string;
  /** What PgBouncer logged so far, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

const BINARY = process.env.PGBOUNCER ?? "/usr/sbin/pgbouncer";

/**
 * A PgBouncer of its own in front of `target` (a postgres:// URL), on a free port, with its config
 * in a temp dir (readable by its owner only: it may hold the target's password). Any client user
 * name is let in and logged in to PostgreSQL as the target's user (`auth_type = any`), so clients
 * need no password. Everything else is PgBouncer's default:
 * no `ignore_startup_parameters`, so a client sending `options` (or any parameter PgBouncer does
 * not know) is refused as a managed pooler would refuse it.
 */
export async function startPgBouncer(target: string, options: { poolMode?: "transaction" | "session"; poolSize?: number } = {}): Promise<PgBouncer> {
  const t = new URL(target);
  const dbname = decodeURIComponent(t.pathname.slice(1));
  const dir = await mkdtemp(path.join(tmpdir(), "durably-pgbouncer-"));
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = [
      "[databases]",
      `${dbname} = host=${t.hostname} port=${t.port || 5432} dbname=${dbname} user=${decodeURIComponent(t.username)}` +
        (t.password ? ` password=${decodeURIComponent(t.password)}` : ""),
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = any",
      `pool_mode = ${options.poolMode ?? "transaction"}`,
      "max_client_conn = 1000",
      `default_pool_size = ${options.poolSize ?? 20}`,
    ].join("\n");
    const file = path.join(dir, "pgbouncer.ini");
    await writeFile(file, config + "\n", { mode: 0o600 });
    // PgBouncer refuses to run as root: as root it reads its config, then runs as `nobody`.
    const args = process.getuid?.() === 0 ? ["-u", "nobody", file] : [file];
    const child = spawn(BINARY, args, { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => (log += chunk));
    const url = `postgres://durably@127.0.0.1:${port}/${dbname}`;
    try {
      await ready(child, url, () => log);
    } catch (error) {
      lastError = error as Error;
      child.kill("SIGKILL");
      continue;
    }
    return {
      url,
      log: () => log,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          await once(child, "exit");
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once PgBouncer passes a query through; fails if it exits first (a port taken since) or takes over 10 s. */
async function ready(child: ChildProcess, url: string, log: () => string): Promise<void> {
  const spawned = new Promise<never>((_, reject) => {
    child.once("error", (error) => reject(new Error(`cannot run ${BINARY} (apt-get install pgbouncer): ${error.message}`)));
    child.once("exit", (code) => reject(new Error(`pgbouncer exited with ${code}: ${log().trim().split("\n").slice(-3).join(" | ")}`)));
  });
  spawned.catch(() => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => undefined);
    try {
      await Promise.race([client.connect().then(() => client.query("SELECT 1")), spawned]);
      return;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
