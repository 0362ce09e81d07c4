// The HTTP surface against an attacker: what public tokens see of events and missing runs,
// bodies and slow clients, prototype keys, stack traces, dev mode's origins and hosts, headers.
import { describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { Client, auth, eventTrigger, runs, task } from "durably";
import type { Engine } from "durably/engine";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { serviceOf } from "../engine/internal.ts";
import { captureStderr } from "./helpers/stderr.ts";

const SECRET = "security-http-secret-key-0123456789";
const echo = task({ id: "echo", run: async (p: { marker: string }) => ({ echoed: p.marker }) });
const failing = task({
  id: "failing",
  retry: { maxAttempts: 1 },
  run: async () => {
    throw new Error("the failure message");
  },
});
const client = new Client({ id: "security-http" });
client.defineJob({ id: "first-job", name: "First", version: "1", trigger: eventTrigger({ name: "order" }), run: async () => ({ secret: "output-of-first-job" }) });
client.defineJob({ id: "second-job", name: "Second", version: "1", trigger: eventTrigger({ name: "order" }), run: async () => ({ secret: "output-of-second-job" }) });

/** Everything the engine's logger writes while a test runs. */
const stderr = captureStderr();

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

/** One request; an SSE stream is closed as soon as its status is known. */
async function call(base: string, path: string, init: { method?: string; token?: string | null; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const controller = new AbortController();
  const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(base + path, { method: init.method ?? "GET", headers, body: init.body, signal: controller.signal });
  if (response.headers.get("content-type")?.includes("text/event-stream")) {
    controller.abort();
    return { status: response.status, text: "", headers: response.headers };
  }
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** A request through node:http, which (unlike fetch) lets a test choose the Host header. */
function rawRequest(base: string, path: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + path, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, text, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A socket that sent a request's headers and the start of its body, and what comes back on it. */
async function partialUpload(base: string, path: string, headers: Record<string, string>, declared = 1024 * 1024) {
  const url = new URL(base);
  const socket: Socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  let received = "";
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("data", (chunk) => (received += chunk.toString()));
  socket.on("error", () => undefined);
  const lines = [`POST ${path} HTTP/1.1`, `Host: ${url.host}`, "Content-Type: application/json", `Content-Length: ${declared}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.write(`${lines.join("\r\n")}\r\n\r\n{"payload": {"marker": "`);
  return { socket, closed, received: () => received };
}

async function counts(engine: Engine) {
  const s = engine.options.schema;
  const [row] = await sql<{ runs: number; events: number }>(`SELECT (SELECT count(*) FROM "${s}".runs)::int AS runs, (SELECT count(*) FROM "${s}".events)::int AS events`);
  return row!;
}

describe("public tokens see only the runs they are scoped to", () => {
  it("an event's routes show a token only the event's runs it may read, never the others' outputs", async () => {
    const engine = await startTestEngine("sec_event", { clients: [client], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const event = await serviceOf(engine).sendEvent({ name: "order", payload: { marker: "event-payload" } });
    expect(event.runs).toHaveLength(2);
    for (const id of event.runs) await runs.poll(id, { timeoutMs: 20_000 });
    const all = (await serviceOf(engine).getEvent(event.id)).runs;
    const first = all.find((r) => r.taskIdentifier === "first-job")!;
    const second = all.find((r) => r.taskIdentifier === "second-job")!;

    for (const [mine, other] of [[first, second], [second, first]] as const) {
      const token = await auth.createPublicToken({ scopes: { read: { runs: [mine.id] } } });
      const otherOutput = (other.output as { secret: string }).secret;
      const whole = await call(base, `/api/events/${event.id}`, { token });
      expect(whole.status).toBe(200);
      expect(JSON.parse(whole.text).runs.map((r: { id: string }) => r.id)).toEqual([mine.id]);
      const listed = await call(base, `/api/events/${event.id}/runs`, { token });
      expect(JSON.parse(listed.text).data.map((r: { id: string }) => r.id)).toEqual([mine.id]);
      const statuses = await call(base, `/api/events/${event.id}/statuses`, { token });
      expect(statuses.status).toBe(200);
      expect(JSON.parse(statuses.text).run.id).toBe(mine.id);
      for (const answer of [whole, listed, statuses]) expect(answer.text).not.toContain(otherOutput);
      expect((await call(base, `/api/events/${event.id}/stream`, { token })).status).toBe(200);
    }
    // The secret key sees both.
    expect(JSON.parse((await call(base, `/api/events/${event.id}`, { token: SECRET })).text).runs).toHaveLength(2);
    // A token for neither run: 403 on every event route.
    const stranger = await auth.createPublicToken({ scopes: { read: { tags: ["nobody"] } } });
    for (const path of ["", "/runs", "/statuses", "/stream"]) expect((await call(base, `/api/events/${event.id}${path}`, { token: stranger })).status, path).toBe(403);
  });

  it("a public token gets 403, not 404, for run and event ids that do not exist; the secret key gets 404", async () => {
    const engine = await startTestEngine("sec_missing", { tasks: [echo], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const token = await auth.createPublicToken({ scopes: { read: { tags: ["team:a"], runs: ["run_doesnotexist"] } } });
    const paths = ["/api/runs/run_doesnotexist", "/api/runs/run_nope", "/api/runs/run_nope/statuses", "/api/runs/run_nope/journal", "/api/runs/run_nope/metadata/history", "/api/runs/run_nope/stream", "/api/events/evt_nope", "/api/events/evt_nope/runs", "/api/events/evt_nope/statuses", "/api/events/evt_nope/stream"];
    for (const path of paths) {
      expect((await call(base, path, { token })).status, path).toBe(403);
      expect((await call(base, path, { token: SECRET })).status, path).toBe(404);
    }
  });
});

describe("bodies and slow clients", () => {
  it("answers an unauthenticated request before reading its body", async () => {
    const engine = await startTestEngine("sec_body_auth", { tasks: [echo], http: { port: 0 }, secretKey: SECRET });
    for (const headers of [{}, { Authorization: "Bearer not-the-key" }] as Record<string, string>[]) {
      const upload = await partialUpload(engine.url!, "/api/tasks/echo/trigger", headers);
      // Only the first bytes of a 1 MB body were sent: the answer cannot have waited for the rest.
      await until(async () => (upload.received().startsWith("HTTP/1.1 401") ? true : undefined), 5_000);
      upload.socket.destroy();
    }
  });

  it("cuts a body that does not arrive within the request timeout", async () => {
    const engine = await startTestEngine("sec_slow", { tasks: [echo], http: { port: 0, limits: { requestTimeoutMs: 500 } }, secretKey: SECRET });
    const upload = await partialUpload(engine.url!, "/api/tasks/echo/trigger", { Authorization: `Bearer ${SECRET}` });
    const started = Date.now();
    await upload.closed;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(upload.received()).toMatch(/^HTTP\/1.1 408/);
    expect((await counts(engine)).runs).toBe(0);
  });

  it("reads a bounded number of bodies at once; more get a 503 BUSY", async () => {
    const engine = await startTestEngine("sec_inflight", { tasks: [echo], http: { port: 0, limits: { bodiesInFlight: 2, requestTimeoutMs: 60_000 } }, secretKey: SECRET });
    const base = engine.url!;
    const slow = [await partialUpload(base, "/api/tasks/echo/trigger", { Authorization: `Bearer ${SECRET}` }), await partialUpload(base, "/api/tasks/echo/trigger", { Authorization: `Bearer ${SECRET}` })];
    const body = JSON.stringify({ payload: { marker: "m" } });
    const busy = await until(async () => {
      const answer = await call(base, "/api/tasks/echo/trigger", { method: "POST", token: SECRET, body });
      return answer.status === 503 ? answer : undefined;
    }, 5_000);
    expect(JSON.parse(busy.text).error.code).toBe("BUSY");
    expect(busy.headers.get("retry-after")).toBe("1");
    for (const upload of slow) upload.socket.destroy();
    await until(async () => ((await call(base, "/api/tasks/echo/trigger", { method: "POST", token: SECRET, body })).status === 200 ? true : undefined), 5_000);
  });

  it("logs a request aborted mid-body at debug level, not as an error", async () => {
    const engine = await startTestEngine("sec_abort", { tasks: [echo], http: { port: 0 }, secretKey: SECRET, logLevel: "debug" });
    const upload = await partialUpload(engine.url!, "/api/tasks/echo/trigger", { Authorization: `Bearer ${SECRET}` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    upload.socket.destroy();
    await until(async () => (stderr.logged().includes("request aborted") ? true : undefined), 5_000);
    const lines = stderr.logged().split("\n").filter((line) => line.includes("request aborted") || line.includes("request failed"));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: "debug", msg: "request aborted" });
  });
});

describe("prototype keys and stack traces", () => {
  it("refuses __proto__, constructor and prototype keys in payloads and metadata with a 400, and stores nothing", async () => {
    const engine = await startTestEngine("sec_proto", { clients: [client], tasks: [echo], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const before = await counts(engine);
    const bodies: [string, string][] = [
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "x", "__proto__": {"polluted": true}}}'],
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "x", "deep": [{"constructor": {"prototype": {"polluted": true}}}]}}'],
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "x", "prototype": 1}}'],
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "x"}, "options": {"metadata": {"__proto__": {"polluted": true}}}}'],
      ["/api/tasks/echo/trigger", '{"payload": {"marker": "x"}, "options": {"metadata": {"user": {"constructor": "x"}}}}'],
      ["/api/events", '{"name": "order", "payload": {"__proto__": {"polluted": true}}}'],
    ];
    for (const [path, body] of bodies) {
      const answer = await call(base, path, { method: "POST", token: SECRET, body });
      expect(answer.status, `${body}: ${answer.text}`).toBe(400);
      expect(answer.text).toMatch(/prototype pollution/);
    }
    expect(await counts(engine)).toEqual(before);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    await expect(echo.trigger(JSON.parse('{"marker": "x", "__proto__": {"a": 1}}') as { marker: string })).rejects.toThrow(/prototype pollution/);
    await expect(echo.trigger({ marker: "x" }, { metadata: JSON.parse('{"constructor": {"a": 1}}') })).rejects.toThrow(/prototype pollution/);
    expect(await counts(engine)).toEqual(before);
  });

  it("shows a run's stack trace to the secret key only, never to a public token", async () => {
    const engine = await startTestEngine("sec_stack", { tasks: [failing], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const { id } = await failing.trigger(undefined, { tags: ["team:a"] });
    const failed = await runs.poll(id, { timeoutMs: 20_000 });
    expect(failed.status).toBe("FAILURE");
    const serverPath = /security-http\.test\.ts|\/work\/|node_modules/;
    expect((await call(base, `/api/runs/${id}`, { token: SECRET })).text).toMatch(serverPath);

    const token = await auth.createPublicToken({ scopes: { read: { tags: ["team:a"] } } });
    for (const path of [`/api/runs/${id}`, `/api/runs/${id}/journal`, `/api/runs/${id}/statuses`, "/api/runs?tag=team:a"]) {
      const answer = await call(base, path, { token });
      expect(answer.status, path).toBe(200);
      expect(answer.text, path).not.toMatch(serverPath);
    }
    const run = JSON.parse((await call(base, `/api/runs/${id}`, { token })).text);
    expect(run.error).toMatchObject({ name: "Error", message: "the failure message" });
    expect(run.error.stack).toBeUndefined();
    // The stream too.
    const response = await fetch(`${base}/api/runs/${id}/stream?token=${encodeURIComponent(token)}`);
    const text = await response.text();
    expect(text).toContain("the failure message");
    expect(text).not.toMatch(serverPath);
  });
});

describe("dev mode (no secret key) answers this machine only", () => {
  it("refuses a foreign Host (DNS rebinding) and a foreign Origin, and starts nothing", async () => {
    const engine = await startTestEngine("sec_dev", { tasks: [echo], http: { port: 0 }, devMode: true });
    const base = engine.url!;
    const body = JSON.stringify({ payload: { marker: "x" } });
    const post = (headers: Record<string, string>) => rawRequest(base, "/api/tasks/echo/trigger", "POST", { "content-type": "application/json", ...headers }, body);

    const rebound = await post({ host: "attacker.example" });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.text).error.code).toBe("FORBIDDEN_HOST");
    expect((await rawRequest(base, "/", "GET", { host: "attacker.example:3000" })).status).toBe(403);
    const foreign = await post({ host: new URL(base).host, origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.text).error.code).toBe("FORBIDDEN_ORIGIN");
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
    for (const origin of ["null", "http://localhost.evil.example", "http://127.0.0.1.evil.example:3000"]) {
      expect((await post({ host: new URL(base).host, origin })).status, origin).toBe(403);
    }
    const preflight = await rawRequest(base, "/api/tasks/echo/trigger", "OPTIONS", { origin: "https://evil.example", "access-control-request-method": "POST" });
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    expect((await counts(engine)).runs).toBe(0);

    // This machine: any loopback name, any port, with or without an Origin.
    const local: Record<string, string>[] = [{ host: new URL(base).host }, { host: "localhost:5173", origin: "http://localhost:5173" }, { host: "[::1]", origin: "http://[::1]:8080" }, { host: "127.0.0.1" }];
    for (const headers of local) {
      const answer = await post(headers);
      expect(answer.status, JSON.stringify(headers)).toBe(200);
      if (headers.origin) expect(answer.headers["access-control-allow-origin"]).toBe(headers.origin);
    }
    expect((await counts(engine)).runs).toBe(4);
  });

  it("with a secret key set, dev mode still needs the key", async () => {
    const engine = await startTestEngine("sec_dev_key", { tasks: [echo], http: { port: 0 }, devMode: true, secretKey: SECRET });
    expect((await call(engine.url!, "/api/tasks")).status).toBe(401);
    expect((await call(engine.url!, "/api/tasks", { token: SECRET })).status).toBe(200);
  });

  it("with a secret key, any origin may call with a bearer token, and no credentials (cookies) are ever allowed", async () => {
    const engine = await startTestEngine("sec_cors", { tasks: [echo], http: { port: 0 }, secretKey: SECRET });
    const { id } = await echo.trigger({ marker: "x" }, { tags: ["team:a"] });
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const answer = await call(engine.url!, `/api/runs/${id}`, { token, headers: { origin: "https://customer-app.example" } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
  });
});

describe("security headers", () => {
  it("the dashboard forbids framing, sniffing and referrers, and limits images to itself, data: and https", async () => {
    const engine = await startTestEngine("sec_headers", { tasks: [echo], http: { port: 0 }, secretKey: SECRET });
    for (const path of ["/", "/runs/run_x", "/assets/missing.js"]) {
      const answer = await call(engine.url!, path);
      const csp = answer.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp).toContain("img-src 'self' data: https:");
      expect(csp).toContain("script-src 'self'");
      expect(answer.headers.get("x-frame-options")).toBe("DENY");
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
      expect(answer.headers.get("referrer-policy")).toBe("no-referrer");
    }
    for (const [path, token] of [["/api/tasks", SECRET], ["/api/tasks", null], ["/api/nothing", SECRET]] as const) {
      const answer = await call(engine.url!, path, { token });
      expect(answer.headers.get("content-security-policy"), path).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});
