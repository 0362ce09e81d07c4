import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { auth, metadata, runs, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { createEngine } from "durably/engine";
import { dropSchemas, sql, TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";
import { createHttpClient } from "../react/client/http-client.ts";
import { serviceOf } from "../engine/internal.ts";

const SECRET = "test-secret-key-0123456789";
const hello = task({ id: "hello", run: async (p: { name: string }) => `hello ${p.name}` });
const echo = task({ id: "echo", run: async (payload: unknown) => ({ payload }) });
let stepRuns = 0;
const twoSteps = task({
  id: "two-steps",
  run: async (_: unknown, { io }) => {
    const a = await io.runTask("a", async () => ++stepRuns);
    const b = await io.runTask("b", async () => ++stepRuns);
    return [a, b];
  },
});

const STEPS = 30;
const stepsWithMetadata = task({
  id: "steps-with-metadata",
  run: async (_: unknown, { io }) => {
    for (let i = 0; i < STEPS; i++) {
      await io.runTask(`s${i}`, async () => i);
      await metadata.set("done", i + 1);
    }
    return STEPS;
  },
});

async function api(base: string, path: string, init: RequestInit & { token?: string | null } = {}) {
  const { token = SECRET, ...rest } = init;
  const headers: Record<string, string> = { "content-type": "application/json", ...(rest.headers as Record<string, string>) };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(base + path, { ...rest, headers });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe("HTTP API", () => {
  it("triggers, reads, lists and retries runs with the secret key", async () => {
    const engine = await startTestEngine("http_api", { tasks: [hello], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const triggered = await api(base, "/api/tasks/hello/trigger", { method: "POST", body: JSON.stringify({ payload: { name: "Ada" }, options: { tags: ["t1"] } }) });
    expect(triggered.status).toBe(200);
    const id = triggered.body.id as string;
    await serviceOf(engine).pollRun(id, 20_000);
    const run = await api(base, `/api/runs/${id}`);
    expect(run.body).toMatchObject({ id, status: "SUCCESS", output: "hello Ada", taskIdentifier: "hello", tags: ["t1"], isSuccess: true });
    const list = await api(base, "/api/runs?status=SUCCESS&tag=t1&limit=10");
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([id]);
    expect(list.body.counts).toMatchObject({ SUCCESS: 1, FAILURE: 0 });
    const statuses = await api(base, `/api/runs/${id}/statuses`);
    expect(statuses.body).toEqual({ run: { id, status: "SUCCESS", output: "hello Ada", revision: expect.any(Number), wait: null }, statuses: [] });
    const tasks = await api(base, "/api/tasks");
    expect(tasks.body.data).toEqual([{ id: "hello", version: "1", kind: "task", eventName: null }]);
    const retry = await api(base, `/api/runs/${id}/retry`, { method: "POST" });
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe("INVALID_RUN_STATE");
  });

  it("filters runs by a metadata key alone (any value) or by key and value, in the list, its counts and runs.list", async () => {
    const engine = await startTestEngine("http_meta", { tasks: [hello], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const pro = await hello.trigger({ name: "a" }, { metadata: { plan: "pro" } });
    const free = await hello.trigger({ name: "b" }, { metadata: { plan: "free" } });
    const none = await hello.trigger({ name: "c" }, { metadata: { seats: 3 } });
    for (const { id } of [pro, free, none]) await serviceOf(engine).pollRun(id, 20_000);
    const ids = (body: { data: { id: string }[] }) => body.data.map((r) => r.id).sort();

    const byKey = await api(base, "/api/runs?metadataKey=plan");
    expect(ids(byKey.body)).toEqual([pro.id, free.id].sort());
    expect(byKey.body.counts).toMatchObject({ SUCCESS: 2 });
    expect(ids((await api(base, "/api/runs?metadataKey=plan&metadataValue=")).body)).toEqual([pro.id, free.id].sort());
    const byValue = await api(base, "/api/runs?metadataKey=plan&metadataValue=pro");
    expect(ids(byValue.body)).toEqual([pro.id]);
    expect(byValue.body.counts).toMatchObject({ SUCCESS: 1 });
    expect(ids((await api(base, "/api/runs?metadataKey=seats&metadataValue=3")).body)).toEqual([none.id]);
    expect((await api(base, "/api/runs?metadataKey=missing")).body.counts).toMatchObject({ SUCCESS: 0 });
    expect(ids(await runs.list({ metadataKey: "plan" }))).toEqual([pro.id, free.id].sort());
  });

  it("reads a journal or metadata history with the run's state it is complete up to, from one snapshot", async () => {
    const engine = await startTestEngine("http_snapshots", { tasks: [stepsWithMetadata], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const { id } = await stepsWithMetadata.trigger({});
    type Head = { id: string; status: string; revision: number };
    const seen: { run: Head; revisions: number[]; kind: "journal" | "metadata" }[] = [];
    for (let finished = false; !finished; ) {
      const [journal, history] = await Promise.all([api(base, `/api/runs/${id}/journal`), api(base, `/api/runs/${id}/metadata/history`)]);
      seen.push({ kind: "journal", run: journal.body.run, revisions: journal.body.entries.map((e: { revision: number }) => e.revision) });
      seen.push({ kind: "metadata", run: history.body.run, revisions: history.body.changes.map((c: { seq: number }) => c.seq) });
      finished = journal.body.run.status === "SUCCESS" && history.body.run.status === "SUCCESS";
    }
    const final = (await api(base, `/api/runs/${id}`)).body as Head;
    expect(seen.some((s) => s.run.status === "EXECUTING")).toBe(true);
    for (const snapshot of seen) {
      expect(snapshot.run).toMatchObject({ id, revision: expect.any(Number) });
      if (snapshot.kind === "journal") expect(Math.max(0, ...snapshot.revisions)).toBeLessThanOrEqual(snapshot.run.revision);
      if (snapshot.run.status !== "SUCCESS") continue;
      // A snapshot that saw the run finished holds all of it.
      expect(snapshot.run.revision).toBe(final.revision);
      expect(snapshot.revisions).toHaveLength(snapshot.kind === "journal" ? 2 * STEPS : STEPS);
    }
  });

  it("triggers with the payload as sent, null included, and with {} when the body has none", async () => {
    const engine = await startTestEngine("http_payload", { tasks: [echo], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const outputs = [];
    for (const body of [{ payload: null }, {}, { payload: 0 }]) {
      const { id } = (await api(base, "/api/tasks/echo/trigger", { method: "POST", body: JSON.stringify(body) })).body as { id: string };
      const run = await serviceOf(engine).pollRun(id, 20_000);
      outputs.push([run.payload, run.output]);
    }
    expect(outputs).toEqual([[null, { payload: null }], [{}, { payload: {} }], [0, { payload: 0 }]]);
  });

  it("takes every trigger option from the React client, typed as the API takes them", async () => {
    const engine = await startTestEngine("http_options", { tasks: [hello], http: { port: 0 }, secretKey: SECRET });
    const client = createHttpClient({ baseUrl: engine.url!, accessToken: SECRET });
    // A literal, so that an option the type lacks fails the typecheck.
    const trigger = () =>
      client.triggerTask("hello", {
        payload: { name: "Ada" },
        options: { metadata: { plan: "pro" }, idempotencyKey: "k1", idempotencyKeyTTL: 60, delay: "1h", ttl: "2h", tags: ["a"], concurrencyKey: "tenant-1" },
      });
    const first = await trigger();
    const again = await trigger();
    expect(again.id).toBe(first.id);
    expect(await client.getRun(first.id)).toMatchObject({ status: "QUEUED", idempotencyKey: "k1", tags: ["a"], metadata: { plan: "pro" } });
    const [row] = await sql(
      `SELECT concurrency_key, expires_at - created_at > interval '1 hour' AS ttl_set, idempotency_key_expires_at IS NOT NULL AS key_ttl_set
       FROM "${engine.options.schema}".runs WHERE id = $1`,
      [first.id],
    );
    expect(row).toEqual({ concurrency_key: "tenant-1", ttl_set: true, key_ttl_set: true });
  });

  it("an engine whose port is taken fails to start before its worker takes any run", async () => {
    const schema = uniqueSchema("http_port_taken");
    const queuer = createEngine({ databaseUrl: TEST_DATABASE_URL, schema, logLevel: "error", tasks: [twoSteps], worker: false });
    await queuer.start();
    const { id } = await serviceOf(queuer).trigger({ taskId: "two-steps", payload: {} });
    await queuer.stop();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const engine = createEngine({
      databaseUrl: TEST_DATABASE_URL, schema, logLevel: "error", tasks: [twoSteps], devMode: true,
      http: { port: (taken.address() as AddressInfo).port, host: "127.0.0.1" },
    });
    try {
      await expect(engine.start()).rejects.toMatchObject({ code: "EADDRINUSE" });
      await engine.stop();
      expect(await sql(`SELECT status, attempts, (SELECT count(*)::int FROM "${schema}".journal) AS entries FROM "${schema}".runs WHERE id = $1`, [id])).toEqual([
        { status: "QUEUED", attempts: 0, entries: 0 },
      ]);
    } finally {
      taken.close();
      await dropSchemas(schema);
    }
  });

  it("answers bad input with a 4xx JSON error and writes nothing", async () => {
    const engine = await startTestEngine("http_bad", { tasks: [hello], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const post = (path: string, body: string) => api(base, path, { method: "POST", body });
    expect(await post("/api/tasks/hello/trigger", "{not json")).toMatchObject({ status: 400, body: { error: { code: "INVALID_JSON" } } });
    expect(await post("/api/tasks/hello/trigger", JSON.stringify({ payload: {}, options: { tags: 5 } }))).toMatchObject({ status: 400, body: { error: { code: "INVALID_REQUEST" } } });
    expect(await post("/api/tasks/hello/trigger", JSON.stringify({ payload: "x".repeat(2 * 1024 * 1024) }))).toMatchObject({ status: 413, body: { error: { code: "BODY_TOO_LARGE" } } });
    expect(await post("/api/tasks/hello/trigger", JSON.stringify({ payload: {}, options: { metadata: { big: "x".repeat(5000) } } }))).toMatchObject({ status: 413, body: { error: { code: "METADATA_TOO_LARGE" } } });
    expect(await post("/api/tasks/nope/trigger", "{}")).toMatchObject({ status: 404, body: { error: { code: "TASK_NOT_FOUND" } } });
    expect(await api(base, "/api/runs/run_unknown")).toMatchObject({ status: 404, body: { error: { code: "RUN_NOT_FOUND" } } });
    expect(await api(base, "/api/runs?status=BOGUS")).toMatchObject({ status: 400 });
    expect(await api(base, "/api/runs?cursor=%27%3B%20DROP%20TABLE")).toMatchObject({ status: 400 });
    expect(await post("/api/events", JSON.stringify({ payload: {} }))).toMatchObject({ status: 400 });
    expect(await api(base, "/api/nothing")).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    const rows = await sql(`SELECT 1 FROM "${engine.options.schema}".runs`);
    expect(rows).toHaveLength(0);
  });

  it("needs a key: public tokens are read-only and scoped; expired or tampered tokens are refused", async () => {
    const engine = await startTestEngine("http_auth", { tasks: [hello], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const a = await hello.trigger({ name: "a" }, { tags: ["team:a"] });
    const b = await hello.trigger({ name: "b" });
    const runToken = await auth.createPublicToken({ scopes: { read: { runs: [a.id] } }, expiresIn: "1h" });
    const tagToken = await auth.createPublicToken({ scopes: { read: { tags: ["team:a"] } } });

    expect((await api(base, `/api/runs/${a.id}`, { token: null })).status).toBe(401);
    expect((await api(base, `/api/runs/${a.id}`, { token: "wrong" })).status).toBe(401);
    expect((await api(base, `/api/runs/${a.id}`, { token: runToken })).status).toBe(200);
    expect((await api(base, `/api/runs/${b.id}`, { token: runToken })).status).toBe(403);
    expect((await api(base, `/api/runs/${a.id}/statuses`, { token: tagToken })).status).toBe(200);
    expect((await api(base, `/api/runs/${b.id}/journal`, { token: tagToken })).status).toBe(403);
    expect((await api(base, `/api/runs?tag=team:a`, { token: tagToken })).body.data).toHaveLength(1);
    expect((await api(base, `/api/runs`, { token: tagToken })).status).toBe(403);
    expect((await api(base, `/api/runs/${a.id}/cancel`, { method: "POST", token: runToken })).status).toBe(403);
    expect((await api(base, `/api/tasks/hello/trigger`, { method: "POST", body: "{}", token: runToken })).status).toBe(403);

    const [head, payload] = runToken.split(".");
    const forged = JSON.parse(Buffer.from(payload!, "base64url").toString());
    forged.scopes.read.runs = [b.id];
    const tampered = `${head}.${Buffer.from(JSON.stringify(forged)).toString("base64url")}.${runToken.split(".")[2]}`;
    expect((await api(base, `/api/runs/${b.id}`, { token: tampered })).status).toBe(401);

    const expired = await new SignJWT({ scopes: { read: { runs: [a.id] } } })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("durably")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(SECRET));
    const refused = await api(base, `/api/runs/${a.id}`, { token: expired });
    expect(refused).toMatchObject({ status: 401, body: { error: { message: "Access token expired" } } });
    expect(JSON.stringify(refused.body)).not.toContain(SECRET);
  });

  it("forks a run from a step and manages schedules", async () => {
    const engine = await startTestEngine("http_fork", { tasks: [twoSteps], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const { id } = await twoSteps.trigger({});
    await serviceOf(engine).pollRun(id, 20_000);
    expect(await api(base, `/api/runs/${id}/fork`, { method: "POST", body: JSON.stringify({ fromSeq: "x" }) })).toMatchObject({ status: 400 });
    expect(await api(base, `/api/runs/run_nope/fork`, { method: "POST", body: JSON.stringify({ fromSeq: 2 }) })).toMatchObject({ status: 404 });
    const fork = await api(base, `/api/runs/${id}/fork`, { method: "POST", body: JSON.stringify({ fromSeq: 2 }) });
    expect(fork.status).toBe(200);
    const forked = await serviceOf(engine).pollRun(fork.body.id, 20_000);
    expect(forked.output).toEqual([1, 3]);

    const created = await api(base, "/api/schedules", {
      method: "POST",
      body: JSON.stringify({ task: "two-steps", cron: "0 3 * * *", deduplicationKey: "nightly" }),
    });
    expect(created.status).toBe(200);
    const listed = await api(base, "/api/schedules?task=two-steps");
    expect(listed.body.data).toHaveLength(1);
    expect((await api(base, `/api/schedules/${created.body.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await api(base, "/api/schedules")).body.data).toHaveLength(0);
    expect(await api(base, "/api/schedules", { method: "POST", body: JSON.stringify({ task: "two-steps", cron: "not a cron", deduplicationKey: "x" }) })).toMatchObject({ status: 400 });
  });

  it("refuses to serve HTTP without a secret key unless in dev mode", async () => {
    await expect(startTestEngine("http_nokey", { tasks: [hello], http: { port: 0 } })).rejects.toThrow(/secret key/);
    const engine = await startTestEngine("http_dev", { tasks: [hello], http: { port: 0 }, devMode: true });
    expect((await api(engine.url!, "/api/tasks", { token: null })).status).toBe(200);
  });
});
