import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { configure, metadata, runs, task, tasks, wait } from "durably";
import { createEngine } from "durably/engine";
import { disconnect } from "../sdk/backend.ts";
import { resolveOptions } from "../engine/options.ts";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { startPgBouncer, type PgBouncer } from "./helpers/pgbouncer.ts";
import { readSse } from "./helpers/sse.ts";
import { partsOf } from "../engine/internal.ts";

const SECRET = "pgbouncer-test-secret-0123";
const auth = { authorization: `Bearer ${SECRET}` };

/** Every kind of write a run makes: a task, a status and its update, metadata, a durable wait. */
const pooled = task({
  id: "pooled",
  run: async (p: { n: number }, { io }) => {
    const doubled = await io.runTask("double", async () => p.n * 2);
    const status = await io.createStatus("progress", { label: "started", state: "loading" });
    await metadata.set("phase", "waiting");
    await wait.for({ seconds: 1 });
    await status.update("progress", { label: "woke", state: "success" });
    await metadata.set("phase", "done");
    return doubled;
  },
});

let bouncer: PgBouncer;
beforeAll(async () => {
  bouncer = await startPgBouncer(TEST_DATABASE_URL, { poolMode: "transaction", poolSize: 20 });
});
afterAll(async () => {
  await bouncer?.stop();
});

/** Prepared statements of the engine's own (`d_…`) on every server connection PgBouncer holds, by holding them all at once. */
async function namedStatementsBehindPooler(): Promise<number[]> {
  const clients = Array.from({ length: 20 }, () => new pg.Client({ connectionString: bouncer.url }));
  await Promise.all(clients.map((c) => c.connect()));
  try {
    await Promise.all(clients.map((c) => c.query("BEGIN")));
    const counts = await Promise.all(clients.map(async (c) =>
      (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'd\\_%'`)).rows[0]!.n));
    await Promise.all(clients.map((c) => c.query("COMMIT")));
    return counts;
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

describe("behind PgBouncer 1.18 in transaction mode", () => {
  it("the pooler refuses the `options` startup parameter, as PgBouncer does by default: every engine connection below sends none", async () => {
    const client = new pg.Client({ connectionString: bouncer.url, options: "-c statement_timeout=0" });
    client.on("error", () => undefined);
    await expect(client.connect()).rejects.toThrow(/unsupported startup parameter: options/);
    await client.end().catch(() => undefined);
  });

  it("an engine with databaseUrl on the pooler and directUrl direct runs tasks, waits, statuses and metadata, and SSE follows them", async () => {
    const engine = await startTestEngine("pgbouncer", {
      databaseUrl: bouncer.url, directUrl: TEST_DATABASE_URL, tasks: [pooled], http: { port: 0 }, secretKey: SECRET,
    });
    const triggered = await fetch(`${engine.url}/api/tasks/pooled/trigger`, {
      method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ payload: { n: 21 } }),
    });
    expect(triggered.status).toBe(200);
    const { id } = (await triggered.json()) as { id: string };
    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream`, { headers: auth, stop: (m) => m.event === "end" });
    expect(JSON.parse(messages.at(-1)!.data)).toEqual({ id, status: "SUCCESS" });
    const kinds = messages.filter((m) => m.event === "journal").map((m) => (JSON.parse(m.data) as { entry: { kind: string } }).entry.kind);
    expect(kinds).toEqual(expect.arrayContaining(["task", "status", "metadata", "wait"]));
    const phases = messages.filter((m) => m.event === "journal").flatMap((m) => {
      const message = JSON.parse(m.data) as { metadata?: { phase?: string } };
      return message.metadata?.phase ? [message.metadata.phase] : [];
    });
    expect(phases.at(-1)).toBe("done");

    const run = await runs.retrieve(id);
    expect(run).toMatchObject({ status: "SUCCESS", output: 42, metadata: { phase: "done" } });

    // Many at once spread over the pool's connections, hence over PgBouncer's server connections.
    const handles = await Promise.all(Array.from({ length: 20 }, (_, n) => pooled.trigger({ n })));
    const finished = await Promise.all(handles.map((h) => runs.poll(h.id, { timeoutMs: 30_000 })));
    expect(finished.map((r) => r.output)).toEqual(Array.from({ length: 20 }, (_, n) => n * 2));
    // The pooled path prepares nothing by name: a name lives on one server connection only.
    expect(await namedStatementsBehindPooler()).toEqual(Array(20).fill(0));
  }, 60_000);

  it("without a pooler (directUrl absent or the same URL) the hot path keeps its named prepared statements", async () => {
    const engine = await startTestEngine("pgbouncer_named", { directUrl: TEST_DATABASE_URL, tasks: [pooled], poolSize: 2 });
    expect(engine.options.pooled).toBe(false);
    const { id } = await pooled.trigger({ n: 2 });
    expect(await runs.poll(id, { timeoutMs: 30_000 })).toMatchObject({ status: "SUCCESS" });
    const { db } = partsOf(engine);
    // Both connections of the pool at once, so the count covers whichever ran the run's statements.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const counts: number[] = [];
    const both = [0, 1].map(() => db.withClient(async (client) => {
      counts.push((await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'd\\_%'`)).rows[0]!.n);
      if (counts.length === 2) release();
      await held;
    }));
    await Promise.all(both);
    expect(counts.reduce((a, b) => a + b)).toBeGreaterThan(0);
  }, 60_000);

  it("a configured backend triggers and polls through the pooler, with directUrl for LISTEN", async () => {
    const engine = await startTestEngine("pgbouncer_cfg", { databaseUrl: bouncer.url, directUrl: TEST_DATABASE_URL, tasks: [pooled] });
    configure({ databaseUrl: bouncer.url, directUrl: TEST_DATABASE_URL, schema: engine.options.schema });
    try {
      const byTask = await pooled.trigger({ n: 5 });
      const byId = await tasks.trigger<typeof pooled>("pooled", { n: 6 });
      expect(await runs.poll(byTask.id, { timeoutMs: 30_000 })).toMatchObject({ status: "SUCCESS", output: 10 });
      expect(await runs.poll(byId.id, { timeoutMs: 30_000 })).toMatchObject({ status: "SUCCESS", output: 12 });
    } finally {
      await disconnect();
    }
  }, 60_000);

  it("a configured backend without directUrl still triggers through the pooler, and runs.poll fails with the same message instead of waiting out", async () => {
    const engine = await startTestEngine("pgbouncer_cfg2", { databaseUrl: bouncer.url, directUrl: TEST_DATABASE_URL, tasks: [pooled] });
    configure({ databaseUrl: bouncer.url, schema: engine.options.schema });
    try {
      const { id } = await pooled.trigger({ n: 1 });
      await expect(runs.poll(id, { timeoutMs: 30_000 })).rejects.toMatchObject({ code: "LISTEN_NOT_DELIVERED" });
    } finally {
      await disconnect();
    }
  }, 60_000);

  it("without directUrl, the engine fails at start saying to set DATABASE_DIRECT_URL, before writing anything", async () => {
    const schema = uniqueSchema("pgbouncer_nodirect");
    const engine = createEngine({ databaseUrl: bouncer.url, schema, tasks: [pooled], logLevel: "silent" });
    try {
      await expect(engine.start()).rejects.toMatchObject({
        code: "LISTEN_NOT_DELIVERED",
        message: expect.stringMatching(/connection pooler in transaction mode.*Set DATABASE_DIRECT_URL \(or directUrl\)/),
      });
      expect(await sql("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).toEqual([]);
    } finally {
      await engine.stop();
      await dropSchemas(schema);
    }
  }, 60_000);

  it("DATABASE_DIRECT_URL is read from the environment; a direct URL equal to DATABASE_URL means no pooler", () => {
    const pooler = "postgres://app@pooler:6432/db";
    const direct = "postgres://app@db:5432/db";
    expect(resolveOptions({}, { DATABASE_URL: pooler, DATABASE_DIRECT_URL: direct })).toMatchObject({ databaseUrl: pooler, directUrl: direct, pooled: true });
    expect(resolveOptions({}, { DATABASE_URL: direct, DATABASE_DIRECT_URL: direct })).toMatchObject({ directUrl: direct, pooled: false });
    expect(resolveOptions({}, { DATABASE_URL: direct })).toMatchObject({ directUrl: direct, pooled: false });
    expect(() => resolveOptions({}, { DATABASE_URL: direct, DATABASE_DIRECT_URL: "db:5432" })).toThrow(/directUrl: must be a postgres:\/\/ URL \(DATABASE_DIRECT_URL or directUrl\)/);
  });
});
