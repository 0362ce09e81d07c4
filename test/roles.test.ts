import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "durably/engine";
import type { Run } from "durably";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./helpers/db.ts";
import { readSse, type SseMessage } from "./helpers/sse.ts";
import { until } from "./helpers/until.ts";

const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
const tasksFile = fileURLToPath(new URL("./fixtures/roles/tasks.ts", import.meta.url));
const workerFile = fileURLToPath(new URL("./fixtures/roles/worker.ts", import.meta.url));
/** tsx's loader by its path: the workers start outside this repository, where `--import tsx` finds no tsx. */
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const schema = uniqueSchema("roles");
const SECRET = "roles-test-secret-0123456789";
const auth = { authorization: `Bearer ${SECRET}` };
const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, DURABLY_SCHEMA: schema, DURABLY_SECRET_KEY: SECRET };

interface Proc {
  name: string;
  child: ChildProcess;
  out: string;
  err: string;
}

/** Started from a directory of its own, as a user starts durably from their app's. */
function startProcess(name: string, args: string[]): Proc {
  const child = spawn(process.execPath, args, { cwd: tmpdir(), env, stdio: ["ignore", "pipe", "pipe"] });
  const proc: Proc = { name, child, out: "", err: "" };
  child.stdout!.on("data", (chunk: Buffer) => (proc.out += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (proc.err += chunk));
  return proc;
}

/** The first match of `pattern` in the process's output; fails at once, with its stderr, if it exits first. */
function waitForOutput(proc: Proc, pattern: RegExp, timeoutMs = 40_000): Promise<RegExpMatchArray> {
  return until(async () => {
    const match = proc.out.match(pattern);
    if (match) return match;
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.child.exitCode}: ${proc.err.trim()}`);
    return undefined;
  }, timeoutMs);
}

async function stopProcess(proc: Proc): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = once(proc.child, "exit");
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

let api: Proc;
let apiUrl: string;
let workers: Proc[] = [];

async function http<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(apiUrl + path, { ...init, headers: { ...auth, "content-type": "application/json", ...init.headers } });
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const trigger = (holdMs: number) =>
  http<{ id: string }>("/api/tasks/roles-where/trigger", { method: "POST", body: JSON.stringify({ payload: { holdMs } }) }).then((r) => r.id);

/** Bounded: a stream that never delivers what the test waits for fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

beforeAll(async () => {
  // The API process first, through the CLI as a terminal user would start it: it migrates the schema.
  // It listens where --host says (IPv6 loopback here; an API behind a load balancer says 0.0.0.0).
  api = startProcess("api", [bin, "start", "--role", "api", "--port", "0", "--host", "::1", tasksFile]);
  apiUrl = (await waitForOutput(api, /Dashboard: (http:\/\/\S+)/))[1]!;
  expect(apiUrl).toMatch(/^http:\/\/\[::1\]:\d+$/);
  workers = [
    startProcess("cli-worker-1", [bin, "start", "--role", "worker", "--concurrency", "2", tasksFile]),
    startProcess("cli-worker-2", [bin, "start", "--role", "worker", "--concurrency", "2", tasksFile]),
    startProcess("code-worker", ["--import", tsx, workerFile]),
  ];
  await Promise.all(workers.map((w) => waitForOutput(w, /durably is running as worker|worker ready/)));
}, 90_000);

afterAll(async () => {
  await Promise.all([api, ...workers].filter(Boolean).map(stopProcess));
  await dropSchemas(schema);
}, 60_000);

describe("one API process and several worker processes on one database", () => {
  it("runs triggered through the API spread over the workers, and the API's streams and list follow them", async () => {
    expect(api.out).toMatch(/durably is running as api — tasks: roles-where@1/);
    for (const w of workers.slice(0, 2)) expect(w.out).not.toMatch(/Dashboard:/);

    // The dashboard's live list, open before anything runs.
    const finished = new Set<string>();
    const { promise: listOpen, resolve: onOpen } = Promise.withResolvers<void>();
    const listStream = readSse(`${apiUrl}/api/runs/stream`, {
      headers: auth,
      onOpen,
      stop: (m: SseMessage) => {
        if (m.event !== "run") return false;
        const run = JSON.parse(m.data) as { id: string; status: string };
        if (run.status === "SUCCESS") finished.add(run.id);
        return finished.size === 12;
      },
    });
    // Awaited below; a failure before then must not surface as an unhandled rejection when the API stops.
    listStream.catch(() => undefined);
    await listOpen;

    // 12 runs holding a slot 800 ms each, 6 slots in all: no worker can take them all.
    const ids = await Promise.all(Array.from({ length: 12 }, () => trigger(800)));
    const followed = await Promise.all(ids.slice(0, 2).map((id) =>
      within(readSse(`${apiUrl}/api/runs/${id}/stream`, { headers: auth, stop: (m) => m.event === "end" }), 60_000, `run ${id}'s stream to end`)));
    for (const [i, { messages }] of followed.entries()) {
      expect(JSON.parse(messages.at(-1)!.data)).toEqual({ id: ids[i], status: "SUCCESS" });
      const statuses = messages.filter((m) => m.event === "journal").flatMap((m) => {
        const message = JSON.parse(m.data) as { status?: { label: string } };
        return message.status ? [message.status.label] : [];
      });
      expect(statuses).toEqual(expect.arrayContaining(["started", "done"]));
    }
    await within(listStream, 60_000, "the list stream to show all 12 runs finished");
    expect([...finished].sort()).toEqual([...ids].sort());

    const list = await http<{ data: Run[] }>("/api/runs?limit=100");
    expect(list.data.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(list.data.every((r) => r.status === "SUCCESS")).toBe(true);

    const outputs = await Promise.all(ids.map((id) => http<Run>(`/api/runs/${id}`).then((r) => r.output as { first: number; second: number })));
    const workerPids = workers.map((w) => w.child.pid!);
    const ranFirst = new Map(workerPids.map((pid) => [pid, outputs.filter((o) => o.first === pid).length]));
    // Every run executed on a worker, never on the API process, and every worker executed some.
    for (const o of outputs) {
      expect(workerPids).toContain(o.first);
      expect(workerPids).toContain(o.second);
    }
    expect([...ranFirst.values()].every((n) => n > 0), `runs per worker: ${JSON.stringify([...ranFirst])}`).toBe(true);
  }, 120_000);

  it("a worker killed mid-run: the other workers hand its run over, with no API process involved in recovery", async () => {
    const id = await trigger(120_000);
    const holder = await until(async () => {
      const run = await http<Run>(`/api/runs/${id}`);
      const pid = (run.metadata as { pid?: number }).pid;
      return workers.find((w) => w.child.pid === pid);
    }, 30_000);
    // Only workers supervise: with the API alive and busy, the hand-over still comes from them.
    holder.child.kill("SIGKILL");
    await once(holder.child, "exit");
    workers = workers.filter((w) => w !== holder);

    const run = await until(async () => {
      const r = await http<Run>(`/api/runs/${id}`);
      return r.status === "SUCCESS" || r.status === "FAILURE" ? r : undefined;
    }, 60_000, 250);
    expect(run.status).toBe("SUCCESS");
    const output = run.output as { first: number; second: number };
    expect(output.first).not.toBe(holder.child.pid);
    expect(workers.map((w) => w.child.pid)).toContain(output.first);
  }, 120_000);
});

describe("roles refuse what they do not run", () => {
  it("createEngine: a worker with http, an API without it or with worker: true", () => {
    expect(() => createEngine({ databaseUrl: TEST_DATABASE_URL, role: "worker", http: { port: 0 } })).toThrow(/http: role "worker" serves no HTTP/);
    expect(() => createEngine({ databaseUrl: TEST_DATABASE_URL, role: "api" })).toThrow(/http: role "api" serves the HTTP API/);
    expect(() => createEngine({ databaseUrl: TEST_DATABASE_URL, role: "api", worker: true, http: { port: 0 } })).toThrow(/worker: role "api" executes no runs/);
    expect(createEngine({ databaseUrl: TEST_DATABASE_URL, role: "api", http: { port: 0 } }).options.worker).toBe(false);
  });

  it("durably start: an unknown --role, a worker given --port, an API given --concurrency are one line each", () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [bin, "start", ...args], { cwd: tmpdir(), env, encoding: "utf8", timeout: 60_000 });
    const oneLine = (args: string[], line: string) => {
      const result = cli(args);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`${line}\nRun "durably --help" for usage.\n`);
    };
    oneLine(["--role", "boss"], "--role must be one of all, worker, api");
    oneLine(["--role", "worker", "--port", "3030"], "--role worker serves no HTTP: drop --port");
    oneLine(["--role", "worker", "--host", "0.0.0.0"], "--role worker serves no HTTP: drop --host");
    oneLine(["--role", "api", "--concurrency", "4"], "--role api executes no runs: drop --concurrency");
    // Four CLI starts, one after another: on a loaded machine each took up to a quarter of a minute.
  }, 240_000);
});
