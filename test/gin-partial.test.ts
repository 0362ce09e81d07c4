// The GIN indexes of runs hold only runs with tags, and runs with metadata (migration 44; the
// metadata's is on its searched copy since migration 47): a run with neither writes nothing to
// them, at its insert nor at any later update.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "durably/engine";
import { ownDatabase, uniqueSchema } from "./helpers/db.ts";

const schema = uniqueSchema("gin_partial");
const s = `"${schema}"`;
// Its concurrent index builds wait for every older transaction of their database.
let database: Awaited<ReturnType<typeof ownDatabase>>;
let client: pg.Client;
beforeAll(async () => {
  database = await ownDatabase("gin");
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await migrate(client, schema);
});
afterAll(async () => {
  await client.end();
  await database.drop();
});

const sizes = async () =>
  (await client.query<{ tags: string; metadata: string }>(
    `SELECT pg_relation_size('${s}.runs_tags_idx') AS tags, pg_relation_size('${s}.runs_metadata_search_idx') AS metadata`,
  )).rows[0]!;

const insertRuns = (prefix: string, extra: string) => client.query(`
  INSERT INTO ${s}.runs (id, task_id, task_version, payload, status${extra ? ", tags, metadata" : ""})
  SELECT '${prefix}' || i, 'task', '1', '{}', 'QUEUED'${extra} FROM generate_series(1, 2000) AS i`);

describe("the GIN indexes of runs", () => {
  it("take no entry for a run without tags and metadata, at its insert or its later updates", async () => {
    const before = await sizes();
    await insertRuns("run_plain_", "");
    // Not HOT: the status is indexed. Each such update of a run with no tags put an entry in both.
    await client.query(`UPDATE ${s}.runs SET status = 'EXECUTING' WHERE id LIKE 'run_plain_%'`);
    await client.query(`UPDATE ${s}.runs SET status = 'SUCCESS' WHERE id LIKE 'run_plain_%'`);
    expect(await sizes()).toEqual(before);

    await insertRuns("run_tagged_", `, ARRAY['customer:' || i], jsonb_build_object('customerId', 'cus_' || i)`);
    const after = await sizes();
    expect(Number(after.tags)).toBeGreaterThan(Number(before.tags));
    expect(Number(after.metadata)).toBeGreaterThan(Number(before.metadata));
  });

  it("become partial on an existing database, built concurrently and recorded once (migration 44)", async () => {
    await client.query(`DROP INDEX ${s}.runs_tags_idx`);
    await client.query(`CREATE INDEX runs_tags_idx ON ${s}.runs USING gin (tags)`);
    // The metadata index as migration 36 built it, which migration 47 has since dropped.
    await client.query(`CREATE INDEX runs_metadata_idx ON ${s}.runs USING gin (metadata)`);
    await client.query(`DELETE FROM ${s}.migrations WHERE version = 44`);

    expect(await migrate(client, schema)).toEqual([44]);
    const { rows } = await client.query<{ name: string; valid: boolean; def: string }>(`
      SELECT c.relname AS name, i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = '${s}.runs'::regclass AND c.relname LIKE 'runs_%' AND pg_get_indexdef(i.indexrelid) LIKE '%USING gin%' ORDER BY 1`);
    expect(rows).toEqual([
      { name: "runs_metadata_idx", valid: true, def: expect.stringMatching(/USING gin \(metadata\) WHERE \(metadata <> '\{\}'::jsonb\)$/) },
      { name: "runs_metadata_search_idx", valid: true, def: expect.stringMatching(/USING gin \(metadata_search\) WHERE \(metadata_search <> '\{\}'::jsonb\)$/) },
      { name: "runs_tags_idx", valid: true, def: expect.stringMatching(/USING gin \(tags\) WHERE \(tags <> '\{\}'::text\[\]\)$/) },
    ]);
    expect(await migrate(client, schema)).toEqual([]);
  });
});
