import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { runs, wait } from "durably";
import type { Engine } from "durably/engine";
import { TEST_DATABASE_URL } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { Terminal } from "./helpers/tmux.ts";
import { until } from "./helpers/until.ts";
import { watched } from "./fixtures/cli/watched.ts";

const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
const env = (): Record<string, string> => ({ DATABASE_URL: TEST_DATABASE_URL, PATH: process.env.PATH ?? "" });

function cli(schema: string, args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args, "--schema", schema], { env: env(), encoding: "utf8", timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** The CLI as a background process whose output the test reads as it comes (a pipe: no terminal). */
function follow(schema: string, args: string[]) {
  const child = spawn(process.execPath, [bin, ...args, "--schema", schema], { env: env() });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const shows = (text: string | RegExp) =>
    until(async () => ((typeof text === "string" ? out.includes(text) : text.test(out)) ? true : undefined), 30_000).catch((error: Error) => {
      throw new Error(`${error.message}: waiting for ${String(text)}; stdout:\n${out}\nstderr:\n${err}`, { cause: error });
    });
  return { child, exited, shows, out: () => out, err: () => err };
}

const terminals: Terminal[] = [];
const processes: ReturnType<typeof follow>[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
  for (const p of processes.splice(0)) p.child.kill();
});

async function startWatchedRun(payload: { fail?: boolean } = {}) {
  const token = await wait.createToken({});
  const handle = await watched.trigger({ token: token.id, ...payload });
  return { token, runId: handle.id };
}

async function engineWithWatched(): Promise<{ engine: Engine; schema: string }> {
  const engine = await startTestEngine("cli_watch", { tasks: [watched] });
  return { engine, schema: engine.options.schema };
}

describe("durably runs watch", () => {
  it("in a terminal, keeps statuses with progress bars below the growing timeline, redrawn in place, and ends with the result and exit code 0", async () => {
    const { schema } = await engineWithWatched();
    const { token, runId } = await startWatchedRun();
    const terminal = new Terminal([process.execPath, bin, "runs", "watch", runId, "--schema", schema], env());
    terminals.push(terminal);

    const waiting = await terminal.waitFor((s) => s.includes("run is WAITING") && /#3 +task +fetch-images/.test(s) && s.includes(`${runId}  WAITING`));
    expect(waiting).toMatch(/#1 +status +resize .*Resizing images {2}loading {2}\[#####---------------\] 25%/);
    expect(waiting).toMatch(/#2 +metadata +set:progress .*progress \[##########----------\] 50%/);
    expect(waiting).toMatch(/\n {2}resize +Resizing images {2}loading {2}\[#####---------------\] 25%\n {2}metadata\.progress +\[##########----------\] 50%$/);

    await wait.completeToken(token.id, { approved: true });
    const done = await terminal.waitFor((s) => s.includes("EXIT="));
    expect(done).toContain("EXIT=0");
    expect(done).toMatch(/#4 +waitpoint +forToken:/);
    expect(done).toMatch(/#5 +status +resized .*success {2}\[####################\] 100%/);
    expect(done).toMatch(/SUCCESS in [\d.]+ m?s\noutput: \{"resized":2\}\nEXIT=0$/);
    // Redrawn in place: the summary is on the screen once, in its final state, not once per change.
    expect(done.split("\n").filter((line) => line.startsWith(runId))).toEqual([expect.stringMatching(new RegExp(`^${runId}  SUCCESS  cli-watched@1`))]);
    expect(done.match(/^ {2}resize +Resizing images/gm)).toHaveLength(1);
    expect(done).toMatch(/\n {2}resize +Resizing images {2}success {2}\[####################\] 100%\n/);
  }, 120_000);

  it("without a terminal, prints each change as a line, no escape codes, and exits 1 for a failed run", async () => {
    const { schema } = await engineWithWatched();
    const { token, runId } = await startWatchedRun({ fail: true });
    const watch = follow(schema, ["runs", "watch", runId]);
    processes.push(watch);
    await watch.shows("run is WAITING");
    await wait.completeToken(token.id, {});
    expect(await watch.exited).toBe(1);
    const lines = watch.out().trimEnd().split("\n");
    expect(watch.out()).not.toContain("\x1b");
    expect(lines.filter((l) => / +#\d+ /.test(l)).map((l) => Number(/#(\d+)/.exec(l)![1]))).toEqual([1, 2, 3, 4]);
    expect(lines.at(-1)).toMatch(/^FAILURE after [\d.]+ m?s: Error: the printer is on fire$/);
    expect(watch.err()).toBe("");
  }, 120_000);

  it("--json prints one update a line, ending with the finished run; a canceled run exits 2; an unknown run is one error line", async () => {
    const { schema } = await engineWithWatched();
    const { runId } = await startWatchedRun();
    const watch = follow(schema, ["runs", "watch", runId, "--json"]);
    processes.push(watch);
    await watch.shows('"status":"WAITING"');
    await runs.cancel(runId);
    expect(await watch.exited).toBe(2);
    const updates = watch.out().trimEnd().split("\n").map((line) => JSON.parse(line) as { type: string; entry?: { seq: number }; run?: { status: string } });
    expect(updates.filter((u) => u.type === "journal").map((u) => u.entry!.seq).slice(0, 3)).toEqual([1, 2, 3]);
    expect(updates.at(-1)).toMatchObject({ type: "run", run: { id: runId, status: "CANCELED" } });

    const missing = cli(schema, ["runs", "watch", "run_nosuchrun"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`RUN_NOT_FOUND: No run with id "run_nosuchrun"\n`);
  }, 120_000);

  it("a finished run prints its whole timeline and result at once", async () => {
    const { schema } = await engineWithWatched();
    const { token, runId } = await startWatchedRun();
    await wait.completeToken(token.id, {});
    await runs.poll(runId, { timeoutMs: 30_000 });
    const result = cli(schema, ["runs", "watch", runId]);
    expect(result.code).toBe(0);
    expect(result.out.match(/ #\d+ /g)).toHaveLength(5);
    expect(result.out).toMatch(/SUCCESS in .*\noutput: \{"resized":2\}\n$/);
  }, 120_000);
});

describe("durably runs list --watch", () => {
  it("redraws the table in place in a terminal when a run changes, and stops on Ctrl-C", async () => {
    const { schema } = await engineWithWatched();
    const first = await startWatchedRun();
    const terminal = new Terminal([process.execPath, bin, "runs", "list", "--watch", "--schema", schema], env());
    terminals.push(terminal);
    await terminal.waitFor((s) => new RegExp(`${first.runId} +WAITING`).test(s));
    const second = await startWatchedRun();
    await wait.completeToken(first.token.id, {});
    const screen = await terminal.waitFor((s) => new RegExp(`${first.runId} +SUCCESS`).test(s) && new RegExp(`${second.runId} +WAITING`).test(s));
    expect(screen.match(/^ID +STATUS +TASK/gm)).toHaveLength(1);
    expect(screen.split("\n").filter((line) => line.includes(first.runId))).toHaveLength(1);
    terminal.sendKeys("C-c");
    expect(await terminal.waitFor((s) => s.includes("EXIT="))).toMatch(/EXIT=0$/);
  }, 120_000);

  it("keeps the table within a short terminal, so each redraw erases the last one whole", async () => {
    const { schema } = await engineWithWatched();
    for (let i = 0; i < 6; i++) await startWatchedRun();
    const terminal = new Terminal([process.execPath, bin, "runs", "list", "--watch", "--schema", schema], env(), { columns: 160, rows: 6 });
    terminals.push(terminal);
    await terminal.waitFor((s) => s.includes("more lines (a taller terminal shows them)"));
    const { runId } = await startWatchedRun();
    const screen = await terminal.waitFor((s) => new RegExp(`${runId} +(QUEUED|EXECUTING|WAITING)`).test(s));
    expect(screen.match(/^ID +STATUS +TASK/gm)).toHaveLength(1);
    expect(screen.match(/more lines/g)).toHaveLength(1);
  }, 120_000);

  it("without a terminal, prints the table again under the time it was read", async () => {
    const { schema } = await engineWithWatched();
    const watch = follow(schema, ["runs", "list", "--watch"]);
    processes.push(watch);
    await watch.shows("No runs");
    const { runId } = await startWatchedRun();
    await watch.shows(new RegExp(`${runId} +WAITING`));
    watch.child.kill("SIGINT");
    expect(await watch.exited).toBe(0);
    expect(watch.out()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\nNo runs\n\n/);
    expect(watch.out()).not.toContain("\x1b");
  }, 120_000);
});

describe("durably CLI tables and text", () => {
  it("runs list lines up its columns from their content and cuts long cells; runs get prints fields, --json the run", async () => {
    const { schema } = await engineWithWatched();
    const token = await wait.createToken({});
    const long = `tag-${"x".repeat(60)}`;
    const a = await watched.trigger({ token: token.id }, { tags: [long] });
    const b = await watched.trigger({ token: token.id }, { tags: ["short"] });
    await until(async () => ((await runs.retrieve(b.id)).status === "WAITING" ? true : undefined), 30_000);

    const list = cli(schema, ["runs", "list"]);
    expect(list.code).toBe(0);
    const lines = list.out.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ID +STATUS +TASK +CREATED +DURATION +TAGS$/);
    for (const header of ["STATUS", "TASK", "CREATED", "TAGS"]) {
      const at = lines[0]!.indexOf(header);
      for (const line of lines.slice(1)) expect(line[at - 1]).toBe(" ");
      for (const line of lines.slice(1)) expect(line[at]).not.toBe(" ");
    }
    expect(lines[2]).toContain(a.id);
    expect(lines[2]!.endsWith("tag-xxxxxxxxxxxxxxxxxxxxxxxxx…")).toBe(true);
    expect(lines[1]!.endsWith("short")).toBe(true);
    expect(JSON.parse(cli(schema, ["runs", "list", "--json"]).out).data.map((r: { id: string }) => r.id)).toEqual([b.id, a.id]);

    const got = cli(schema, ["runs", "get", a.id]);
    expect(got.out).toMatch(new RegExp(`^Run +${a.id}\nStatus +WAITING\nTask +cli-watched@1\n`));
    expect(got.out).toMatch(/\nMetadata\n {2}progress +\[##########----------\] 50%\n/);
    expect(got.out).toMatch(new RegExp(`\nTags +${long}\n`));
    expect(JSON.parse(cli(schema, ["runs", "get", a.id, "--json"]).out)).toMatchObject({ id: a.id, status: "WAITING", tags: [long] });
  }, 120_000);
});
