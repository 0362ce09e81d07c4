import { describe, expect, it } from "vitest";
import { Client, auth, eventTrigger, runs, task, wait } from "durably";
import type { Engine } from "durably/engine";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { partsOf, serviceOf } from "../engine/internal.ts";
import { captureStderr } from "./helpers/stderr.ts";

const SECRET = "security-test-secret-key-0123456789";
const echo = task({ id: "echo", run: async (p: { marker: string }) => ({ echoed: p.marker }) });
const client = new Client({ id: "security" });
client.defineJob({ id: "on-ping", name: "On ping", version: "1", trigger: eventTrigger({ name: "ping" }), run: async (p: unknown) => p });

/** Everything the engine's logger writes while a test runs. */
const stderr = captureStderr();

interface Answer {
  status: number;
  text: string;
}

/** One request; an SSE stream is closed as soon as its status is known. */
async function call(base: string, method: string, path: string, token: string | null, body?: string | Uint8Array): Promise<Answer> {
  const controller = new AbortController();
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(base + path, { method, headers, body: body as BodyInit | undefined, signal: controller.signal });
  if (response.headers.get("content-type")?.includes("text/event-stream")) {
    controller.abort();
    return { status: response.status, text: "" };
  }
  return { status: response.status, text: await response.text() };
}

async function setUp() {
  const engine = await startTestEngine("security", { tasks: [echo], clients: [client], http: { port: 0 }, secretKey: SECRET, logLevel: "debug" });
  const a = await echo.trigger({ marker: "payload-of-team-a" }, { tags: ["team:a"] });
  const b = await echo.trigger({ marker: "payload-of-team-b" }, { tags: ["team:b"] });
  await runs.poll(a.id, { timeoutMs: 20_000 });
  await runs.poll(b.id, { timeoutMs: 20_000 });
  const event = await serviceOf(engine).sendEvent({ name: "ping", payload: { marker: "event-payload" } });
  await runs.poll(event.runs[0]!, { timeoutMs: 20_000 });
  const waitpoint = (await wait.createToken()).id;
  const { batchId } = await echo.batchTrigger([{ payload: { marker: "batch-of-team-a" } }]);
  const tokenA = await auth.createPublicToken({
    scopes: { read: { tags: ["team:a"], runs: [event.runs[0]!], batch: batchId! }, write: { waitpoints: [waitpoint] } },
  });
  const tokenB = await auth.createPublicToken({ scopes: { read: { tags: ["team:b"] } } });
  return { engine, a: a.id, b: b.id, eventId: event.id, waitpoint, batchId: batchId!, tokenA, tokenB };
}

/** Every route of engine/http/server.ts, and whether a public token may use it (for something in its scope). */
function routes(ids: { a: string; eventId: string; waitpoint: string; batchId: string }) {
  const reads = [
    `/api/runs/${ids.a}`, `/api/runs/${ids.a}/statuses`, `/api/runs/${ids.a}/journal`, `/api/runs/${ids.a}/metadata/history`,
    `/api/runs/${ids.a}/stream`, `/api/events/${ids.eventId}`, `/api/events/${ids.eventId}/runs`,
    `/api/events/${ids.eventId}/statuses`, `/api/events/${ids.eventId}/stream`, `/api/runs?tag=team:a`,
    `/api/waitpoints/tokens/${ids.waitpoint}`, "/api/tags/team:a/stream", `/api/batches/${ids.batchId}`, `/api/batches/${ids.batchId}/stream`,
  ].map((path) => ({ method: "GET", path, body: undefined as string | undefined, publicMay: true }));
  // The one write a public token may make: completing a waitpoint it names under `write`.
  const publicWrites = [{ method: "POST", path: `/api/waitpoints/tokens/${ids.waitpoint}/complete`, body: JSON.stringify({ data: { ok: true } }), publicMay: true }];
  const fullOnly = [
    { method: "GET", path: "/api/runs" },
    { method: "GET", path: "/api/runs/stream" },
    { method: "GET", path: "/api/tasks" },
    { method: "POST", path: `/api/runs/${ids.a}/retry` },
    { method: "POST", path: `/api/runs/${ids.a}/replay` },
    { method: "POST", path: `/api/runs/${ids.a}/cancel` },
    { method: "POST", path: "/api/tasks/echo/trigger", body: JSON.stringify({ payload: { marker: "x" } }) },
    { method: "POST", path: "/api/events", body: JSON.stringify({ name: "ping", payload: {} }) },
    { method: "POST", path: "/api/tokens", body: JSON.stringify({ scopes: { read: { tags: ["team:a"] } } }) },
    { method: "POST", path: "/api/tokens/trigger", body: JSON.stringify({ task: "echo" }) },
    { method: "POST", path: "/api/tokens/stream", body: JSON.stringify({ path: `/api/runs/${ids.a}/stream` }) },
    { method: "POST", path: "/api/tasks/echo/batch", body: JSON.stringify({ items: [{ payload: { marker: "x" } }] }) },
    { method: "POST", path: `/api/runs/${ids.a}/fork`, body: JSON.stringify({ fromSeq: 1 }) },
    { method: "GET", path: "/api/schedules" },
    { method: "POST", path: "/api/schedules", body: JSON.stringify({ task: "echo", cron: "0 3 * * *", deduplicationKey: "nightly" }) },
    { method: "DELETE", path: "/api/schedules/sched_nope" },
    { method: "POST", path: "/api/waitpoints/tokens", body: JSON.stringify({ tags: ["x"] }) },
    { method: "GET", path: "/api/waitpoints/tokens" },
    { method: "POST", path: `/api/waitpoints/tokens/${ids.waitpoint}/access`, body: "{}" },
  ].map((r) => ({ body: undefined as string | undefined, ...r, publicMay: false }));
  return [...reads, ...publicWrites, ...fullOnly];
}

async function counts(engine: Engine) {
  const s = engine.options.schema;
  const [row] = await sql<{ runs: number; events: number; journal: number }>(
    `SELECT (SELECT count(*) FROM "${s}".runs)::int AS runs, (SELECT count(*) FROM "${s}".events)::int AS events, (SELECT count(*) FROM "${s}".journal)::int AS journal`,
  );
  return row!;
}

describe("security, route by route", () => {
  it("every route refuses no key (401) and a bad key (401); public tokens only read within their scope (403 otherwise); the secret key is accepted", async () => {
    const { engine, a, eventId, waitpoint, batchId, tokenA, tokenB } = await setUp();
    const base = engine.url!;
    const table = routes({ a, eventId, waitpoint, batchId });
    // Guard against a route added to the server and forgotten here.
    expect(table.length).toBeGreaterThanOrEqual(30);
    for (const route of table) {
      const label = `${route.method} ${route.path}`;
      expect((await call(base, route.method, route.path, null, route.body)).status, `${label} without a key`).toBe(401);
      expect((await call(base, route.method, route.path, "not-a-key", route.body)).status, `${label} with a bad key`).toBe(401);
      expect((await call(base, route.method, route.path, tokenB, route.body)).status, `${label} with another scope's token`).toBe(403);
      const withA = await call(base, route.method, route.path, tokenA, route.body);
      expect(withA.status, `${label} with a public token in scope`).toBe(route.publicMay ? 200 : 403);
    }
    // The secret key last: some of these change state (cancel, replay, trigger).
    for (const route of table) {
      const answer = await call(base, route.method, route.path, SECRET, route.body);
      expect([401, 403], `${route.method} ${route.path} with the secret key: ${answer.text}`).not.toContain(answer.status);
      expect(answer.status, `${route.method} ${route.path}: ${answer.text}`).toBeLessThan(500);
    }
  });

  it("one scope never sees another's payloads or outputs", async () => {
    const { engine, a, b, tokenA, tokenB } = await setUp();
    const base = engine.url!;
    const listA = await call(base, "GET", "/api/runs?tag=team:a", tokenA);
    expect(listA.status).toBe(200);
    expect(listA.text).toContain("payload-of-team-a");
    expect(listA.text).not.toContain("payload-of-team-b");
    expect((await call(base, "GET", "/api/runs?tag=team:b", tokenA)).status).toBe(403);
    expect((await call(base, "GET", "/api/runs?tag=team:a,team:b", tokenA)).status).toBe(403);
    for (const path of [`/api/runs/${b}`, `/api/runs/${b}/journal`, `/api/runs/${b}/statuses`, `/api/runs/${b}/metadata/history`, `/api/runs/${b}/stream`]) {
      const answer = await call(base, "GET", path, tokenA);
      expect(answer.status, path).toBe(403);
      expect(answer.text).not.toContain("payload-of-team-b");
    }
    const readB = await call(base, "GET", `/api/runs/${b}`, tokenB);
    expect(readB.status).toBe(200);
    expect(readB.text).not.toContain("payload-of-team-a");
    expect((await call(base, "GET", `/api/runs/${a}`, tokenB)).status).toBe(403);
    // In a URL, a token opens streams only.
    expect((await call(base, "GET", `/api/runs/${b}/stream?token=${encodeURIComponent(tokenB)}`, null)).status).toBe(200);
    expect((await call(base, "GET", `/api/runs/${b}?token=${encodeURIComponent(tokenB)}`, null)).status).toBe(401);
  });

  it("never writes the secret key to logs or error messages", async () => {
    const { engine, a } = await setUp();
    const base = engine.url!;
    const answers = [
      await call(base, "GET", `/api/runs/${a}`, SECRET.slice(0, -1)),
      await call(base, "GET", `/api/runs/${a}`, `${SECRET}x`),
      await call(base, "GET", `/api/runs/${a}?token=${SECRET}x`, null),
      await call(base, "POST", "/api/tasks/echo/trigger", SECRET, `{"payload": "${SECRET}`),
      await call(base, "POST", "/api/tokens", SECRET, JSON.stringify({ scopes: { read: { tags: [SECRET] } }, expiresIn: SECRET })),
    ];
    for (const answer of answers) expect(answer.status).toBeGreaterThanOrEqual(400);
    for (const answer of answers) expect(answer.text).not.toContain(SECRET);
    const tooShort = "short-secret";
    await expect(startTestEngine("security_short", { tasks: [echo], http: { port: 0 }, secretKey: tooShort })).rejects.toSatisfy(
      (e: Error) => /at least 16 characters/.test(e.message) && !e.message.includes(tooShort),
    );
    // Make the engine log: a run whose task no process has, and fields named like secrets.
    await serviceOf(engine).trigger({ taskId: "ghost", taskVersion: "1", payload: {} });
    partsOf(engine).logger.warn("probe", { secretKey: SECRET, authorization: `Bearer ${SECRET}`, token: SECRET, apiKey: SECRET });
    await until(async () => (stderr.logged().includes("no code for this run's task") ? true : undefined), 20_000);
    expect(stderr.logged()).toContain("[redacted]");
    expect(stderr.logged()).not.toContain(SECRET);
  });
});

describe("bad HTTP input: a clear 4xx and nothing written", () => {
  it("SQL metacharacters in every id and filter", async () => {
    const { engine, a } = await setUp();
    const base = engine.url!;
    const before = await counts(engine);
    const evil = ["'; DROP TABLE runs; --", "\" OR 1=1 --", "run_x' OR '1'='1", "%' OR TRUE --", "$1", "\\'; SELECT pg_sleep(5); --"];
    for (const value of evil) {
      const id = encodeURIComponent(value);
      for (const path of [`/api/runs/${id}`, `/api/runs/${id}/statuses`, `/api/runs/${id}/journal`, `/api/runs/${id}/metadata/history`, `/api/events/${id}`, `/api/events/${id}/runs`, `/api/events/${id}/statuses`]) {
        const answer = await call(base, "GET", path, SECRET);
        expect(answer.status, `${path}: ${answer.text}`).toBe(404);
        expect(JSON.parse(answer.text).error.code).toMatch(/NOT_FOUND/);
      }
      for (const action of ["retry", "replay", "cancel"]) expect((await call(base, "POST", `/api/runs/${id}/${action}`, SECRET)).status).toBe(404);
      expect((await call(base, "POST", `/api/tasks/${id}/trigger`, SECRET, "{}")).status).toBe(404);
      for (const filter of ["taskIdentifier", "tag", "eventId", "metadataKey", "metadataKey=marker&metadataValue"]) {
        const answer = await call(base, "GET", `/api/runs?${filter}=${id}`, SECRET);
        expect(answer.status, `${filter}: ${answer.text}`).toBe(200);
        expect(JSON.parse(answer.text).data).toEqual([]);
      }
      for (const filter of ["status", "cursor", "from", "to", "limit"]) {
        expect((await call(base, "GET", `/api/runs?${filter}=${id}`, SECRET)).status, `${filter}=${value}`).toBe(400);
      }
    }
    expect(await counts(engine)).toEqual(before);
    // Stored verbatim where they are legitimate values: tags and idempotency keys.
    const tagged = await call(base, "POST", "/api/tasks/echo/trigger", SECRET, JSON.stringify({ payload: { marker: "m" }, options: { tags: [evil[0]], idempotencyKey: evil[1] } }));
    expect(tagged.status).toBe(200);
    const run = await runs.retrieve(JSON.parse(tagged.text).id);
    expect(run).toMatchObject({ tags: [evil[0]], idempotencyKey: evil[1] });
    const listed = await call(base, "GET", `/api/runs?tag=${encodeURIComponent(evil[0]!)}`, SECRET);
    expect(JSON.parse(listed.text).data.map((r: { id: string }) => r.id)).toEqual([run.id]);
    expect((await runs.retrieve(a)).status).toBe("SUCCESS");
  });

  it("invalid UTF-8, lone surrogates, deep nesting and oversized bodies", async () => {
    const { engine } = await setUp();
    const base = engine.url!;
    const before = await counts(engine);
    const invalidUtf8 = Buffer.concat([Buffer.from('{"payload": {"marker": "'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}')]);
    const refusals: [string, string | Uint8Array, number, RegExp][] = [
      ["/api/tasks/echo/trigger", invalidUtf8, 400, /INVALID_UTF8/],
      ["/api/events", Buffer.concat([Buffer.from('{"name": "ping", "payload": "'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), 400, /INVALID_UTF8/],
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "\\ud800"}}', 400, /lone surrogate/],
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "x", "\\udc00": 1}}', 400, /lone surrogate/],
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "x"}, "options": {"metadata": {"k": "\\udbff"}}}', 400, /lone surrogate/],
      ["/api/events", '{"name": "ping", "payload": {"s": "\\udfff"}}', 400, /lone surrogate/],
      ["/api/tasks/echo/trigger", JSON.stringify({ payload: nested(65) }), 400, /nested more than 64 levels/],
      ["/api/tasks/echo/trigger", `{"payload": ${"[".repeat(200_000)}${"]".repeat(200_000)}}`, 400, /INVALID|nested/],
      ["/api/tasks/echo/trigger", JSON.stringify({ payload: { marker: "x".repeat(600 * 1024) } }), 400, /over the limit/],
      ["/api/tasks/echo/trigger", JSON.stringify({ payload: { marker: "x".repeat(2 * 1024 * 1024) } }), 413, /BODY_TOO_LARGE/],
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "x"}', 400, /INVALID_JSON/],
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "x"}, "extra": true}', 400, /INVALID_REQUEST/],
    ];
    for (const [path, body, status, pattern] of refusals) {
      const answer = await call(base, "POST", path, SECRET, body);
      expect(answer.status, `${path} ${String(body).slice(0, 60)}: ${answer.text}`).toBe(status);
      expect(answer.text).toMatch(pattern);
      expect(JSON.parse(answer.text).error.message.length).toBeGreaterThan(10);
    }
    expect(await counts(engine)).toEqual(before);
    const ok = await call(base, "POST", "/api/tasks/echo/trigger", SECRET, JSON.stringify({ payload: { marker: "ünïcødé 🎉", deep: nested(60) } }));
    expect(ok.status).toBe(200);
    expect((await runs.poll(JSON.parse(ok.text).id, { timeoutMs: 20_000 })).output).toEqual({ echoed: "ünïcødé 🎉" });
  });
});

function nested(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

describe("bad SDK input: a DurablyError and nothing written", () => {
  it("refuses lone surrogates, deep nesting, values JSON cannot hold and unknown ids", async () => {
    const { engine } = await setUp();
    const before = await counts(engine);
    const circular: Record<string, unknown> = {};
    circular.again = circular;
    const attempts: [string, () => Promise<unknown>, RegExp][] = [
      ["lone surrogate in a payload", () => echo.trigger({ marker: "\ud800" }), /lone surrogate/],
      ["lone surrogate in a key", () => echo.trigger({ marker: "x", ["\udc00"]: 1 } as { marker: string }), /lone surrogate/],
      ["lone surrogate in metadata", () => echo.trigger({ marker: "x" }, { metadata: { s: "\udbff" } }), /lone surrogate/],
      ["lone surrogate in a tag", () => echo.trigger({ marker: "x" }, { tags: ["\ud83d"] }), /tag/],
      ["lone surrogate in an event name", () => serviceOf(engine).sendEvent({ name: "\udfff", payload: {} }), /event name/],
      ["nested 65 levels", () => echo.trigger(nested(65) as { marker: string }), /nested more than 64 levels/],
      ["a function", () => echo.trigger({ marker: "x", f: () => 1 } as { marker: string }), /function/],
      ["a symbol", () => echo.trigger({ marker: "x", s: Symbol("s") } as unknown as { marker: string }), /symbol/],
      ["a circular value", () => echo.trigger(circular as { marker: string }), /circular/],
      ["a BigInt in metadata", () => echo.trigger({ marker: "x" }, { metadata: { n: 1n as unknown as number } }), /metadata/i],
      ["a payload over the limit", () => echo.trigger({ marker: "x".repeat(600 * 1024) }), /over the limit/],
      ["an unknown task", () => serviceOf(engine).trigger({ taskId: "no-such-task", payload: {} }), /no-such-task/],
      ["an unknown run", () => runs.retrieve("run_'; DROP TABLE runs; --"), /not found|RUN_NOT_FOUND|No run/i],
    ];
    for (const [what, attempt, message] of attempts) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error, what).toBeInstanceOf(Error);
      expect((error as { code?: unknown }).code, `${what}: ${(error as Error).message}`).toEqual(expect.any(String));
      expect((error as Error).constructor.name, what).not.toBe("DatabaseError");
      expect((error as Error).message, what).toMatch(message);
    }
    expect(await counts(engine)).toEqual(before);
  });
});
