import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine, migrate } from "durably/engine";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./helpers/db.ts";

const SNAPSHOT = fileURLToPath(new URL("./schema.sql", import.meta.url));
const schema = uniqueSchema("snapshot");
afterAll(() => dropSchemas(schema));

/** The schema as pg_dump prints it, with the schema name made neutral and noise removed. */
function dump(): string {
  const text = execFileSync("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", "-n", schema, TEST_DATABASE_URL], { encoding: "utf8" });
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("--") && !line.startsWith("SET ") && !line.startsWith("SELECT pg_catalog") && !line.startsWith("\\"))
    .join("\n")
    .replaceAll(`"${schema}"`, ":SCHEMA")
    .replaceAll(schema, ":SCHEMA")
    .concat("\n");
}

describe("migrations", () => {
  it("produce exactly the committed schema snapshot (UPDATE_SCHEMA_SNAPSHOT=1 to accept a change)", async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      expect(await migrate(client, schema)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
      expect(await migrate(client, schema)).toEqual([]);
    } finally {
      await client.end();
    }
    const actual = dump();
    if (process.env.UPDATE_SCHEMA_SNAPSHOT === "1") writeFileSync(SNAPSHOT, actual);
    expect(actual).toBe(readFileSync(SNAPSHOT, "utf8"));
  });

  it("deletes a deleted run's journal, metadata history and streams with it, and refuses states outside the allowed ones", async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    const s = `"${schema}"`;
    try {
      await client.query(`INSERT INTO ${s}.runs (id, task_id, task_version, payload, status) VALUES ('run_gone', 't', '1', '{}', 'SUCCESS'), ('run_kept', 't', '1', '{}', 'SUCCESS')`);
      for (const id of ["run_gone", "run_kept"]) {
        await client.query(`INSERT INTO ${s}.journal (run_id, seq, kind, key, status, revision, started_at) VALUES ($1, 1, 'task', 'a', 'completed', 1, now())`, [id]);
        await client.query(`INSERT INTO ${s}.run_metadata_history (run_id, seq, op, metadata) VALUES ($1, 0, 'set', '{}')`, [id]);
        await client.query(`INSERT INTO ${s}.run_streams (run_id, key, last_index, max_bytes) VALUES ($1, 'out', 1, 100)`, [id]);
        await client.query(`INSERT INTO ${s}.stream_chunks (run_id, key, chunk_index, step_seq, attempt_token, n, data) VALUES ($1, 'out', 1, 0, 0, 0, '1')`, [id]);
      }
      await client.query(`DELETE FROM ${s}.runs WHERE id = 'run_gone'`);
      const left = await client.query(`SELECT run_id FROM ${s}.journal UNION ALL SELECT run_id FROM ${s}.run_metadata_history
        UNION ALL SELECT run_id FROM ${s}.run_streams UNION ALL SELECT run_id FROM ${s}.stream_chunks`);
      expect(left.rows).toEqual(Array(4).fill({ run_id: "run_kept" }));

      await expect(client.query(`UPDATE ${s}.runs SET status = 'DONE' WHERE id = 'run_kept'`)).rejects.toThrow(/run_status/);
      await expect(client.query(`UPDATE ${s}.journal SET status = 'skipped'`)).rejects.toThrow(/entry_status/);
      await expect(client.query(`UPDATE ${s}.runs SET concurrency_limit = 0`)).rejects.toThrow(/concurrency_limit/);
    } finally {
      await client.end();
    }
  });

  it("deletes many runs without reading the whole runs table for each one", async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    const s = `"${schema}"`;
    // The deletes' own checks of the keys that point at runs (parent, fork) are what scan.
    const seqScans = async () => {
      await client.query("SELECT pg_stat_force_next_flush()");
      const { rows } = await client.query<{ n: string }>(`SELECT seq_scan AS n FROM pg_stat_user_tables WHERE relid = '${s}.runs'::regclass`);
      return Number(rows[0]!.n);
    };
    try {
      await client.query(`INSERT INTO ${s}.runs (id, task_id, task_version, payload, status)
        SELECT 'run_old' || g, 't', '1', '{}', 'SUCCESS' FROM generate_series(1, 300) g`);
      await client.query(`UPDATE ${s}.runs SET forked_from = 'run_old1', parent_run_id = 'run_old1' WHERE id = 'run_old2'`);
      await client.query(`ANALYZE ${s}.runs`);
      const before = await seqScans();
      await client.query(`DELETE FROM ${s}.runs WHERE id LIKE 'run_old%' AND id <> 'run_old1'`);
      expect((await seqScans()) - before).toBeLessThanOrEqual(2);
    } finally {
      await client.end();
    }
  });

  it("refuses a database migrated by newer code", async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`INSERT INTO "${schema}".migrations (version, name) VALUES (999, 'from-the-future')`);
      await expect(migrate(client, schema)).rejects.toMatchObject({ code: "DATABASE_TOO_NEW" });
      const engine = createEngine({ databaseUrl: TEST_DATABASE_URL, schema, logLevel: "silent" });
      await expect(engine.start()).rejects.toMatchObject({ code: "DATABASE_TOO_NEW" });
    } finally {
      await client.end();
    }
  });
});
