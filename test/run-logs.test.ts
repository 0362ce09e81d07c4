import { describe, expect, it } from "vitest";
import { logger, runs, task, wait } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { readSse } from "./helpers/sse.ts";
import { until } from "./helpers/until.ts";
import { serviceOf } from "../engine/internal.ts";

const SECRET = "run-logs-secret-key-0123456789";
const fast = { minTimeoutInMs: 10, maxTimeoutInMs: 20, randomize: false };

let stepTries = 0;
const chatty = task({
  id: "chatty",
  retry: { maxAttempts: 1 },
  run: async (payload: { tries: number }, { io }) => {
    io.logger.info("starting", { tries: payload.tries, apiKey: "hidden" });
    const a = await io.runTask("flaky", async () => {
      logger.warn("trying", { attempt: ++stepTries });
      if (stepTries < payload.tries) throw new Error("not yet");
      return stepTries;
    }, { retry: { ...fast, maxAttempts: 3 } });
    logger.log("after flaky");
    io.logger.error("done", { a });
    logger.debug("bye");
    return a;
  },
});

let release: () => void = () => undefined;
const gate = () => new Promise<void>((resolve) => (release = resolve));
let held: Promise<void> = Promise.resolve();
const live = task({
  id: "live",
  run: async (_: unknown, { io }) => {
    logger.info("first");
    await io.runTask("hold", () => held);
    logger.info("second");
    return null;
  },
});

const consoleTask = task({
  id: "console-task",
  run: async () => {
    console.log("from console %d", 42);
    console.error("an error", { x: 1 });
    return null;
  },
});

const LINES_BEFORE_WAIT = 20_000;
const chattyThenWaits = task({
  id: "chatty-then-waits",
  run: async () => {
    for (let i = 0; i < LINES_BEFORE_WAIT; i++) logger.info("line", { i });
    await wait.for({ seconds: 600 });
    return null;
  },
});

async function api(base: string, path: string) {
  const response = await fetch(base + path, { headers: { authorization: `Bearer ${SECRET}` } });
  return { status: response.status, body: await response.json() };
}

describe("run logs", () => {
  it("stores io.logger and logger lines with level, fields and journal position, each once across replays", async () => {
    stepTries = 0;
    const engine = await startTestEngine("run_logs", { tasks: [chatty], http: { port: 0 }, secretKey: SECRET });
    const handle = await chatty.trigger({ tries: 3 });
    const run = await serviceOf(engine).pollRun(handle.id, 30_000);
    expect(run.status).toBe("SUCCESS");
    const { status, body } = await api(engine.url!, `/api/runs/${handle.id}/logs`);
    expect(status).toBe(200);
    // The line before the step was logged by each of the three executions; it is stored once.
    expect(body.data.map((l: { level: string; message: string; seq: number; attempt: number }) => [l.level, l.message, l.seq, l.attempt])).toEqual([
      ["info", "starting", 0, 0],
      ["warn", "trying", 1, 1],
      ["warn", "trying", 1, 2],
      ["warn", "trying", 1, 3],
      ["log", "after flaky", 1, 0],
      ["error", "done", 1, 0],
      ["debug", "bye", 1, 0],
    ]);
    expect(body.data[0].fields).toEqual({ tries: 3, apiKey: "[redacted]" });
    expect(body.data[3].fields).toEqual({ attempt: 3 });
    expect(new Date(body.data[0].at).getTime()).toBeLessThanOrEqual(new Date(body.data[6].at).getTime());
    expect(body.nextCursor).toBeNull();

    // A run deleted takes its logs with it.
    await sql(`DELETE FROM "${engine.options.schema}".runs WHERE id = $1`, [handle.id]);
    expect(await sql(`SELECT 1 FROM "${engine.options.schema}".run_logs WHERE run_id = $1`, [handle.id])).toEqual([]);
  });

  it("filters by level and text and pages with a cursor; a bad level is a 400", async () => {
    stepTries = 0;
    const engine = await startTestEngine("run_logs_filter", { tasks: [chatty], http: { port: 0 }, secretKey: SECRET });
    const handle = await chatty.trigger({ tries: 2 });
    await serviceOf(engine).pollRun(handle.id, 30_000);
    const base = engine.url!;
    const levels = await api(base, `/api/runs/${handle.id}/logs?level=warn,error`);
    expect(levels.body.data.map((l: { message: string }) => l.message)).toEqual(["trying", "trying", "done"]);
    const search = await api(base, `/api/runs/${handle.id}/logs?search=FLAK`);
    expect(search.body.data.map((l: { message: string }) => l.message)).toEqual(["after flaky"]);
    const inFields = await api(base, `/api/runs/${handle.id}/logs?search=%22attempt%22:%202`);
    expect(inFields.body.data.map((l: { fields: unknown }) => l.fields)).toEqual([{ attempt: 2 }]);
    const literal = await api(base, `/api/runs/${handle.id}/logs?search=%25`);
    expect(literal.body.data).toEqual([]);
    const first = await api(base, `/api/runs/${handle.id}/logs?limit=2`);
    expect(first.body.data.map((l: { message: string }) => l.message)).toEqual(["starting", "trying"]);
    const rest = await api(base, `/api/runs/${handle.id}/logs?limit=100&cursor=${first.body.nextCursor}`);
    expect(rest.body.data.map((l: { message: string }) => l.message)).toEqual(["trying", "after flaky", "done", "bye"]);
    expect((await api(base, `/api/runs/${handle.id}/logs?level=loud`)).status).toBe(400);
    expect((await api(base, `/api/runs/${handle.id}/logs?cursor=abc`)).status).toBe(400);
    expect((await api(base, `/api/runs/run_00000000000000000000000000/logs`)).status).toBe(404);
  });

  it("pushes lines live on the run's stream with ?logs=, before the run's end", async () => {
    held = gate();
    const engine = await startTestEngine("run_logs_live", { tasks: [live], http: { port: 0 }, secretKey: SECRET });
    const handle = await live.trigger({});
    const read = readSse(`${engine.url}/api/runs/${handle.id}/stream?logs=0`, {
      headers: { authorization: `Bearer ${SECRET}` },
      stop: (message) => message.event === "end",
    });
    const seen = (await until(async () => {
      const { body } = await api(engine.url!, `/api/runs/${handle.id}/logs`);
      return body.data.length === 1 ? body.data : undefined;
    }, 20_000)) as { message: string }[];
    expect(seen[0]!.message).toBe("first");
    release();
    const { messages } = await read;
    const events = messages.filter((m) => m.event === "log" || m.event === "end").map((m) => (m.event === "log" ? JSON.parse(m.data).message : "end"));
    expect(events).toEqual(["first", "second", "end"]);
  });

  it("a stopping engine stores the lines of a run that suspended before it closes its pool", async () => {
    const engine = await startTestEngine("run_logs_stop", { tasks: [chattyThenWaits] });
    const handle = await chattyThenWaits.trigger({});
    await until(async () => ((await runs.retrieve(handle.id)).status === "WAITING" ? true : undefined), 30_000, 5);
    await engine.stop();
    const [row] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${engine.options.schema}".run_logs WHERE run_id = $1`, [handle.id]);
    expect(row!.n).toBe(LINES_BEFORE_WAIT);
  });

  it("stores console output of run code when the engine captures it, and not otherwise", async () => {
    const capturing = await startTestEngine("run_logs_console", { tasks: [consoleTask], http: { port: 0 }, secretKey: SECRET, captureConsole: true });
    const handle = await consoleTask.trigger({});
    await serviceOf(capturing).pollRun(handle.id, 20_000);
    const { body } = await api(capturing.url!, `/api/runs/${handle.id}/logs`);
    expect(body.data.map((l: { level: string; message: string }) => [l.level, l.message])).toEqual([
      ["log", "from console 42"],
      ["error", "an error { x: 1 }"],
    ]);
    await capturing.stop();

    const plain = await startTestEngine("run_logs_no_console", { tasks: [consoleTask], http: { port: 0 }, secretKey: SECRET });
    const other = await consoleTask.trigger({});
    await serviceOf(plain).pollRun(other.id, 20_000);
    expect((await api(plain.url!, `/api/runs/${other.id}/logs`)).body.data).toEqual([]);
    expect(await runs.retrieve(other.id)).toMatchObject({ status: "SUCCESS" });
  });
});
