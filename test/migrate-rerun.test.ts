// A no-transaction migration applied again after its concurrent build was cut short: the build
// left an INVALID index, which the migration replaces with a valid one (migration 36, the run
// lists' indexes) and records its version once.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "durably/engine";
import { ownDatabase, uniqueSchema } from "./helpers/db.ts";

const schema = uniqueSchema("migrate_rerun");
const s = `"${schema}"`;
// Its concurrent index builds wait for every older transaction of their database.
let database: Awaited<ReturnType<typeof ownDatabase>>;
beforeAll(async () => (database = await ownDatabase("migrate")));
afterAll(() => database.drop());

describe("a no-transaction migration cut short", () => {
  it("drops the INVALID index its build left and builds it again, then records its version once (migration 36)", async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await migrate(client, schema);
      // The schema as a migrator stopped in migration 36's first build leaves it: version not
      // recorded, and an index of that name INVALID (a failed unique build leaves one just so).
      // Migration 47 has dropped the index 36 builds.
      await client.query(`DELETE FROM ${s}.migrations WHERE version = 36`);
      await client.query(`INSERT INTO ${s}.runs (id, task_id, task_version, payload, status) VALUES ('run_a', 'same', '1', '{}', 'SUCCESS'), ('run_b', 'same', '1', '{}', 'SUCCESS')`);
      await expect(client.query(`CREATE UNIQUE INDEX CONCURRENTLY runs_metadata_idx ON ${s}.runs (task_id)`)).rejects.toThrow(/could not create unique index/);
      const index = async () =>
        (await client.query<{ valid: boolean; def: string }>(`
          SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
          WHERE i.indexrelid = to_regclass('${s}.runs_metadata_idx')`)).rows;
      expect((await index())[0]?.valid).toBe(false);

      expect(await migrate(client, schema)).toEqual([36]);
      const [rebuilt] = await index();
      expect(rebuilt?.valid).toBe(true);
      expect(rebuilt?.def).toMatch(/USING gin \(metadata\)$/);
      const { rows } = await client.query(`SELECT version FROM ${s}.migrations WHERE version = 36`);
      expect(rows).toHaveLength(1);
      expect(await migrate(client, schema)).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
