import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "durably/engine";
import { ownDatabase, uniqueSchema } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

const schema = uniqueSchema("migrate_online");
const s = `"${schema}"`;
// Its concurrent index builds wait for every older transaction of their database.
let database: Awaited<ReturnType<typeof ownDatabase>>;
beforeAll(async () => (database = await ownDatabase("migrate")));
afterAll(() => database.drop());

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return client;
}

const entry = (runId: string) =>
  `INSERT INTO ${s}.journal (run_id, seq, kind, key, status, revision, started_at) VALUES ('${runId}', 1, 'task', 'a', 'completed', 1, now())`;

describe("a no-transaction migration on an existing database", () => {
  it("builds the journal's index while journal writes go on, and records its version once built (migration 31)", async () => {
    const [migrator, holder, writer] = await Promise.all([connect(), connect(), connect()]);
    try {
      await migrate(migrator, schema);
      // The journal as migration 29 left it.
      await migrator.query(`DROP INDEX ${s}.journal_late_revision_idx`);
      await migrator.query(`CREATE INDEX journal_revision_idx ON ${s}.journal (run_id, revision)`);
      await migrator.query(`DELETE FROM ${s}.migrations WHERE version = 31`);

      // A write in flight: an index build waits for it, and a plain CREATE INDEX would hold
      // every later write behind it until it commits.
      await holder.query("BEGIN");
      await holder.query(entry("run_in_flight"));
      const pid = (await migrator.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      const migrating = migrate(migrator, schema);
      await until(async () => {
        const { rows } = await writer.query<{ waiting: boolean }>(
          `SELECT wait_event_type = 'Lock' AND query LIKE 'CREATE INDEX CONCURRENTLY%' AS waiting FROM pg_stat_activity WHERE pid = $1`, [pid]);
        return rows[0]?.waiting ? true : undefined;
      }, 20_000);

      await writer.query("SET statement_timeout = '10s'");
      await writer.query(entry("run_meanwhile"));
      expect((await writer.query(`SELECT version FROM ${s}.migrations WHERE version = 31`)).rows).toEqual([]);

      await holder.query("COMMIT");
      expect(await migrating).toEqual([31]);
      const { rows } = await writer.query<{ name: string; valid: boolean; def: string }>(`
        SELECT c.relname AS name, i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '${s}.journal'::regclass ORDER BY c.relname`);
      expect(rows.map((r) => [r.name, r.valid])).toEqual([["journal_late_revision_idx", true], ["journal_pkey", true]]);
      expect(rows[0]!.def).toMatch(/\(run_id, revision\) WHERE \(seq > 64\)$/);
      expect(await migrate(migrator, schema)).toEqual([]);
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined);
      await Promise.all([migrator.end(), holder.end(), writer.end()]);
    }
  });
});

describe("migrations after the online rules (migrations/README.md)", () => {
  it("build every index on a table they did not create concurrently, in a no-transaction migration", async () => {
    const { loadMigrations } = await import("../engine/migrate.ts");
    const blocking: string[] = [];
    // Migrations up to 30 were released before the rules; they are never edited.
    for (const m of (await loadMigrations()).filter((m) => m.version > 30)) {
      const created = new Set([...m.sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?:SCHEMA\.(\w+)/g)].map((x) => x[1]));
      for (const [, concurrently, table] of m.sql.matchAll(/CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?\w+ ON :SCHEMA\.(\w+)/g)) {
        if (!created.has(table!) && !(concurrently && m.concurrent)) blocking.push(`${m.version}_${m.name}: ${table}`);
      }
    }
    expect(blocking).toEqual([]);
  });
});
