import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { until } from "./helpers/until.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dataDir = "test-output/npm-start/pg";

function npmStart(): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const child = spawn("npm", ["start", "--", "--port", "0", "--data-dir", dataDir], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Dashboard: (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

/** The `durably` CLI without DATABASE_URL, on the embedded database in `dir`. */
function cli(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/durably.js", ...args, "--data-dir", dir], { cwd: root, env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

/** Ctrl-C in a terminal signals the whole process group; do the same. */
async function interrupt(child: ChildProcess): Promise<void> {
  process.kill(-child.pid!, "SIGINT");
  const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
  // npm re-raises the signal once its script has exited; the script itself must exit 0.
  expect(code === 0 || signal === "SIGINT").toBe(true);
}

/** Whether the embedded postmaster is still alive a few seconds after the stop (exiting takes a moment). */
async function postgresStillRunning(): Promise<boolean> {
  const { execSync } = await import("node:child_process");
  const running = () =>
    execSync("ps -eo stat,args").toString().split("\n").some((line) => !line.startsWith("Z") && line.includes("postgres") && line.includes("npm-start/pg"));
  for (let i = 0; i < 50 && running(); i++) await new Promise((r) => setTimeout(r, 100));
  return running();
}

afterAll(() => rm(`${root}/test-output/npm-start`, { recursive: true, force: true }));

describe("npm start with no DATABASE_URL", () => {
  it("runs the examples on an embedded Postgres, stops cleanly on Ctrl-C and keeps the data", async () => {
    await rm(`${root}/test-output/npm-start`, { recursive: true, force: true });
    const first = npmStart();
    const base = await first.url;
    const sent = await fetch(`${base}/api/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "generate-memes", payload: {} }),
    }).then((r) => r.json() as Promise<{ runs: string[] }>);
    const runId = sent.runs[0]!;
    const finished = (id: string) =>
      until(async () => {
        const run = await fetch(`${base}/api/runs/${id}`).then((r) => r.json() as Promise<{ status: string; output?: unknown }>);
        return ["SUCCESS", "FAILURE", "CANCELED"].includes(run.status) ? run : undefined;
      }, 30_000, 200);
    expect((await finished(runId)).status).toBe("SUCCESS");
    // A v3 task reaches the run through the SDK's globals (metadata.*): the tasks file and the
    // engine must share one copy of the SDK.
    const v3 = await fetch(`${base}/api/tasks/metadata-progress/trigger`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ payload: {}, options: { metadata: { user: { name: "Ada" } } } }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    expect(await finished(v3.id)).toMatchObject({ status: "SUCCESS", output: { greeted: "Ada" } });
    const page = await fetch(base).then((r) => r.text());
    expect(page).toContain("<div id=\"root\"");

    await interrupt(first.child);
    expect(first.output()).toContain("SIGINT: stopping");
    // The terminal's SIGINT reaches the engine only: PostgreSQL stays up until the engine, done, stops it.
    expect(first.output()).not.toMatch(/connection lost|terminating connection/);
    expect(await postgresStillRunning()).toBe(false);

    const second = npmStart();
    const again = await second.url;
    const run = await fetch(`${again}/api/runs/${runId}`).then((r) => r.json() as Promise<{ status: string; taskIdentifier: string }>);
    expect(run).toMatchObject({ status: "SUCCESS", taskIdentifier: "meme-generator" });

    // The CLI finds the database the running engine uses, and leaves it running.
    const whileRunning = await cli(dataDir, "runs", "get", runId, "--json");
    expect(whileRunning.code).toBe(0);
    expect(JSON.parse(whileRunning.stdout)).toMatchObject({ id: runId, status: "SUCCESS" });
    expect((await fetch(`${again}/api/runs/${runId}`)).status).toBe(200);

    await interrupt(second.child);
    expect(await postgresStillRunning()).toBe(false);

    // With no engine running, the CLI starts the cluster for the command and stops it after.
    const stopped = await cli(dataDir, "runs", "list", "--json");
    expect(stopped.code).toBe(0);
    expect((JSON.parse(stopped.stdout) as { data: { id: string }[] }).data.map((r) => r.id)).toContain(runId);
    expect(await postgresStillRunning()).toBe(false);
  }, 120_000);

  it("tells the CLI where to find a database when there is neither DATABASE_URL nor an embedded cluster", async () => {
    const result = await cli("test-output/npm-start/none/pg", "runs", "list");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/NOT_CONFIGURED: No DATABASE_URL, and no embedded database in test-output\/npm-start\/none\/pg/);
  });
});
