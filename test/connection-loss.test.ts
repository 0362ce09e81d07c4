import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { task } from "durably";
import { createEngine, type Engine } from "durably/engine";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../engine/embedded/embedded-postgres.ts";
import { mentionsRun } from "../engine/notify/listener.ts";
import { readSse, statusVersions, type SseMessage } from "./helpers/sse.ts";
import { until } from "./helpers/until.ts";
import { partsOf, serviceOf } from "../engine/internal.ts";

// Its own embedded cluster: restarting the machine's shared PostgreSQL would break other tests.
const dataDir = path.join(fileURLToPath(new URL("..", import.meta.url)), "test-output", "connection-loss", "pg");
const SECRET = "connection-loss-secret-0123";
const auth = { authorization: `Bearer ${SECRET}` };

let postgres: EmbeddedPostgres;
let port: number;
let engine: Engine;

const ticker = task({
  id: "ticker",
  run: async (p: { versions: number; gateMs: number }, { io }) => {
    const status = await io.createStatus("tick", { label: "Ticking", state: "loading", data: { n: 1 } });
    for (let n = 2; n <= p.versions; n++) {
      await status.update(`tick-${n}`, { data: { n }, ...(n === p.versions ? { state: "success" as const } : {}) });
      await new Promise((r) => setTimeout(r, p.gateMs));
    }
    return "ticked";
  },
});

async function restartPostgres(downMs: number): Promise<void> {
  await postgres.stop();
  await new Promise((r) => setTimeout(r, downMs));
  postgres = await startEmbeddedPostgres({ dataDir, port });
}

/** What EventSource does: read, and on a dropped stream reconnect with the last event id, until `end`. */
async function readResuming(url: string, onMessage: (all: SseMessage[]) => void, timeoutMs: number) {
  const all: SseMessage[] = [];
  let connections = 0;
  const deadline = Date.now() + timeoutMs;
  while (all.at(-1)?.event !== "end" && Date.now() < deadline) {
    const lastId = [...all].reverse().find((m) => m.id !== undefined)?.id;
    connections++;
    try {
      await readSse(url, {
        headers: { ...auth, ...(lastId ? { "last-event-id": lastId } : {}) },
        stop: (message) => {
          all.push(message);
          onMessage(all);
          return message.event === "end";
        },
      });
    } catch {
      // The server went away mid-stream: reconnect.
    }
    if (all.at(-1)?.event !== "end") await new Promise((r) => setTimeout(r, 200));
  }
  return { messages: all, connections };
}

beforeAll(async () => {
  postgres = await startEmbeddedPostgres({ dataDir, port: 0 });
  port = Number(new URL(postgres.url).port);
  engine = createEngine({
    databaseUrl: postgres.url, schema: `conn_${Date.now().toString(36)}`, tasks: [ticker], logLevel: "silent",
    http: { port: 0 }, secretKey: SECRET, pollIntervalMs: 5_000, recoverySeconds: 1,
  });
  await engine.start();
}, 60_000);

afterAll(async () => {
  await engine?.stop();
  await postgres?.stop();
});

describe("a PostgreSQL restart under a running engine", () => {
  it("is survived without a process restart: the run finishes, the SSE client resumes exactly, LISTEN and the pool recover", async () => {
    const versions = 40;
    const { id } = await ticker.trigger({ versions, gateMs: 60 });
    let restarted: Promise<void> | undefined;
    const streamed = readResuming(
      `${engine.url}/api/runs/${id}/stream`,
      (all) => {
        if (!restarted && statusVersions(all).length >= 10) restarted = restartPostgres(500);
      },
      45_000,
    );
    const { messages, connections } = await streamed;
    await restarted;

    // Every status version exactly once and in order, across however many reconnections it took.
    expect(statusVersions(messages)).toEqual(Array.from({ length: versions }, (_, i) => i + 1));
    const ids = messages.map((m) => m.id).filter((x): x is string => x !== undefined).map(Number);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(JSON.parse(messages.filter((m) => m.event === "run").at(-1)!.data)).toMatchObject({ id, status: "SUCCESS", output: "ticked" });
    expect(connections).toBeGreaterThanOrEqual(1);

    // The pool: reads work again. LISTEN: a run triggered now is woken by NOTIFY, not by the
    // 5 s poll, and its notifications reach this process.
    await until(() => serviceOf(engine).retrieveRun(id), 10_000);
    const seen: string[] = [];
    const off = partsOf(engine).listener.on(partsOf(engine).channels.run, (payload) => seen.push(payload));
    const startedAt = Date.now();
    const second = await ticker.trigger({ versions: 2, gateMs: 0 });
    const run = await serviceOf(engine).pollRun(second.id, 20_000);
    off();
    expect(run.status).toBe("SUCCESS");
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(seen.some((p) => mentionsRun(p, second.id))).toBe(true);
  }, 60_000);

  it("a run in flight at the restart is handed back and finishes soon after, without waiting for its heartbeat", async () => {
    const { id } = await ticker.trigger({ versions: 30, gateMs: 50 });
    await until(async () => ((await serviceOf(engine).getJournal(id)).length >= 5 ? true : undefined), 10_000);
    const restartedAt = Date.now();
    await restartPostgres(300);
    const run = await until(async () => {
      const r = await serviceOf(engine).retrieveRun(id);
      return r.isCompleted ? r : undefined;
    }, 30_000);
    expect(run.status).toBe("SUCCESS");
    expect((await serviceOf(engine).getJournal(id)).map((e) => e.key)).toEqual(["tick", ...Array.from({ length: 29 }, (_, i) => `tick-${i + 2}`)]);
    // Heartbeat expiry would take over 10 s.
    expect(run.finishedAt!.getTime() - restartedAt).toBeLessThan(8_000);
  }, 60_000);
});
