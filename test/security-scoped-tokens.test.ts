import { describe, expect, it } from "vitest";
import { auth, runs, task } from "durably";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";

/**
 * Browser tokens for lists and triggers (`read: { tags, batch, tasks }`, `createTriggerPublicToken`):
 * each reads or triggers exactly what it names, and every attempt outside that is refused.
 */
const SECRET = "scoped-tokens-secret-key-0123456789";
const echo = task({ id: "scoped-echo", run: async (p: { marker: string }) => ({ echoed: p.marker }) });
const other = task({ id: "scoped-other", run: async (p: { marker: string }) => p.marker });

async function call(base: string, method: string, path: string, token: string, body?: unknown) {
  const controller = new AbortController();
  const response = await fetch(base + path, {
    method, signal: controller.signal,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.headers.get("content-type")?.includes("text/event-stream")) {
    controller.abort();
    return { status: response.status, text: "", json: undefined };
  }
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

async function setUp() {
  const engine = await startTestEngine("scoped_tokens", { tasks: [echo, other], http: { port: 0 }, secretKey: SECRET, logLevel: "error" });
  const mine = await echo.batchTrigger([{ payload: { marker: "mine-1" } }, { payload: { marker: "mine-2" } }]);
  const theirs = await echo.batchTrigger([{ payload: { marker: "theirs" } }]);
  const otherRun = await other.trigger({ marker: "other-task" });
  const tagged = await echo.trigger({ marker: "tagged" }, { tags: ["user:42"] });
  for (const id of [...mine.runs, ...theirs.runs, otherRun, tagged].map((r) => r.id)) await runs.poll(id, { timeoutMs: 20_000 });
  const runCount = async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${engine.options.schema}".runs`))[0]!.n;
  return { base: engine.url!, mine, theirs, otherRun, tagged, runCount };
}

describe("a token scoped to a batch", () => {
  it("reads and follows that batch's runs and nothing else", async () => {
    const { base, mine, theirs, otherRun, tagged } = await setUp();
    const token = await auth.createPublicToken({ scopes: { read: { batch: mine.batchId! } } });
    const batch = await call(base, "GET", `/api/batches/${mine.batchId}`, token);
    expect(batch.status).toBe(200);
    expect((batch.json!.runs as { id: string }[]).map((r) => r.id)).toEqual(mine.runs.map((r) => r.id));
    expect(batch.text).not.toContain("theirs");
    expect((await call(base, "GET", `/api/batches/${mine.batchId}/stream`, token)).status).toBe(200);
    expect((await call(base, "GET", `/api/runs/${mine.runs[0]!.id}`, token)).status).toBe(200);
    for (const path of [
      `/api/batches/${theirs.batchId}`, `/api/batches/${theirs.batchId}/stream`, "/api/batches/batch_missing", `/api/runs/${theirs.runs[0]!.id}`,
      `/api/runs/${otherRun.id}`, `/api/runs/${tagged.id}`, "/api/tags/user:42/stream", "/api/runs?tag=user:42", "/api/runs/stream",
    ]) {
      const answer = await call(base, "GET", path, token);
      expect(answer.status, path).toBe(403);
      expect(answer.text).not.toMatch(/theirs|other-task|tagged/);
    }
  });
});

describe("a token scoped to tags or tasks", () => {
  it("follows the tag's runs, reads the task's runs, and is refused everything else", async () => {
    const { base, mine, otherRun, tagged } = await setUp();
    const byTag = await auth.createPublicToken({ scopes: { read: { tags: ["user:42"] } } });
    expect((await call(base, "GET", "/api/tags/user:42/stream", byTag)).status).toBe(200);
    expect((await call(base, "GET", `/api/runs/${tagged.id}`, byTag)).status).toBe(200);
    for (const path of ["/api/tags/user:43/stream", `/api/batches/${mine.batchId}/stream`, `/api/runs/${otherRun.id}`]) {
      expect((await call(base, "GET", path, byTag)).status, path).toBe(403);
    }
    const byTask = await auth.createPublicToken({ scopes: { read: { tasks: ["scoped-other"] } } });
    expect((await call(base, "GET", `/api/runs/${otherRun.id}`, byTask)).status).toBe(200);
    for (const path of [`/api/runs/${tagged.id}`, "/api/tags/user:42/stream", `/api/batches/${mine.batchId}`]) {
      expect((await call(base, "GET", path, byTask)).status, path).toBe(403);
    }
    // Read tokens never trigger.
    expect((await call(base, "POST", "/api/tasks/scoped-other/trigger", byTask, { payload: { marker: "x" } })).status).toBe(403);
  });
});

describe("a trigger token", () => {
  it("starts its task once, returns a token that reads that run only, and is refused a second time", async () => {
    const { base, tagged, runCount } = await setUp();
    const token = await auth.createTriggerPublicToken("scoped-echo", { expirationTime: "10m" });
    const started = await call(base, "POST", "/api/tasks/scoped-echo/trigger", token, { payload: { marker: "from-browser" } });
    expect(started.status, started.text).toBe(200);
    const { id, publicAccessToken } = started.json as { id: string; publicAccessToken: string };
    expect((await runs.poll(id, { timeoutMs: 20_000 })).output).toEqual({ echoed: "from-browser" });
    expect((await call(base, "GET", `/api/runs/${id}`, publicAccessToken)).status).toBe(200);
    expect((await call(base, "GET", `/api/runs/${tagged.id}`, publicAccessToken)).status).toBe(403);
    const before = await runCount();
    const again = await call(base, "POST", "/api/tasks/scoped-echo/trigger", token, { payload: { marker: "again" } });
    expect(again.status).toBe(403);
    expect(again.json!.error!.message).toMatch(/used already/);
    expect(await runCount()).toBe(before);
  });

  it("starts one run when raced by many requests, since it is spent in the database before the trigger", async () => {
    const { base, runCount } = await setUp();
    const token = await auth.createTriggerPublicToken("scoped-echo");
    const before = await runCount();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call(base, "POST", "/api/tasks/scoped-echo/trigger", token, { payload: { marker: `race-${i}` } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 403, 403, 403, 403, 403, 403, 403]);
    expect(await runCount()).toBe(before + 1);
  });

  it("with multipleUse starts runs until it expires, of its own task only, and reads and sets nothing beyond it", async () => {
    const { base, tagged, otherRun, runCount } = await setUp();
    const token = await auth.createTriggerPublicToken("scoped-echo", { multipleUse: true, expirationTime: "1h" });
    for (let i = 0; i < 3; i++) {
      expect((await call(base, "POST", "/api/tasks/scoped-echo/trigger", token, { payload: { marker: `m${i}` } })).status).toBe(200);
    }
    const before = await runCount();
    const refusals: [string, string, unknown][] = [
      ["POST", "/api/tasks/scoped-other/trigger", { payload: { marker: "x" } }],
      ["POST", "/api/tasks/scoped-echo/batch", { items: [{ payload: { marker: "x" } }] }],
      // A tag could plant the run in another user's live list; an idempotency key could return another run (and a token to read it).
      ["POST", "/api/tasks/scoped-echo/trigger", { payload: { marker: "x" }, options: { tags: ["user:42"] } }],
      ["POST", "/api/tasks/scoped-echo/trigger", { payload: { marker: "x" }, options: { idempotencyKey: "k" } }],
      ["POST", "/api/tasks/scoped-echo/trigger", { payload: { marker: "x" }, options: { concurrencyKey: "k" } }],
      ["POST", "/api/tokens/trigger", { task: "scoped-echo" }],
      ["POST", "/api/tokens", { scopes: { read: { tags: ["user:42"] } } }],
      ["GET", `/api/runs/${tagged.id}`, undefined],
      ["GET", `/api/runs/${otherRun.id}`, undefined],
      ["GET", "/api/tags/user:42/stream", undefined],
      ["GET", "/api/runs?tag=user:42", undefined],
      ["GET", "/api/tasks", undefined],
    ];
    for (const [method, path, body] of refusals) {
      const answer = await call(base, method, path, token, body);
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}: ${answer.text}`).toBe(403);
    }
    expect(await runCount()).toBe(before);
  });

  it("is refused when it would live longer than a day, and made for a task id only", async () => {
    await setUp();
    await expect(auth.createTriggerPublicToken("scoped-echo", { expirationTime: "48h" })).rejects.toThrow(/between 1 second/);
    await expect(auth.createTriggerPublicToken("scoped-echo", { expirationTime: new Date(Date.now() - 1000) })).rejects.toThrow(/between 1 second/);
    await expect(auth.createTriggerPublicToken("")).rejects.toThrow(/task id/);
  });
});
