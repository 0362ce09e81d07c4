import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface WorkerConfig {
  databaseUrl: string;
  schema: string;
  sideTable: string;
  concurrency: number;
  logDir: string;
}

/** A pool of worker processes that can be killed and restarted; exits nobody asked for are counted. */
export class Workers {
  readonly #config: WorkerConfig;
  readonly #children = new Map<number, ChildProcess>();
  readonly #logs = new Map<number, WriteStream>();
  readonly #expectedExit = new Set<ChildProcess>();
  #generation = 0;
  unexpectedExits = 0;

  constructor(config: WorkerConfig) {
    this.#config = config;
  }

  get slots(): number[] {
    return [...this.#children.keys()];
  }

  async start(slot: number): Promise<void> {
    const c = this.#config;
    let log = this.#logs.get(slot);
    if (!log) {
      log = createWriteStream(path.join(c.logDir, `worker-${slot}.log`), { flags: "w" });
      this.#logs.set(slot, log);
    }
    const name = `w${slot}.${++this.#generation}`;
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, c.databaseUrl, c.schema, c.sideTable, name, String(c.concurrency)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr!.pipe(log, { end: false });
    child.once("exit", (code, signal) => {
      log.write(`--- ${name} exited (code ${code}, signal ${signal})\n`);
      if (!this.#expectedExit.has(child)) this.unexpectedExits++;
    });
    this.#children.set(slot, child);
    const [ready] = await Promise.race([
      once(child.stdout!, "data"),
      once(child, "exit").then(() => {
        throw new Error(`chaos worker ${name} exited before it was ready (see ${c.logDir}/worker-${slot}.log)`);
      }),
    ]);
    if (!String(ready).includes("ready")) throw new Error(`chaos worker ${name} said ${String(ready)}`);
  }

  /** kill -9, as a crash would. */
  async kill(slot: number): Promise<void> {
    const child = this.#children.get(slot);
    if (!child || child.exitCode !== null) return;
    this.#expectedExit.add(child);
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }

  /** Starts every slot again whose process has died (a kill, or an exit nobody asked for). */
  async reviveDead(): Promise<void> {
    for (const [slot, child] of this.#children) if (child.exitCode !== null || child.signalCode !== null) await this.start(slot);
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        this.#expectedExit.add(child);
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    for (const log of this.#logs.values()) log.end();
  }
}
