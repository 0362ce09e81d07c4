// Migrations 46–48 on a database whose runs were written before them: the runs' metadata is
// copied in batches, each committed on its own, the metadata index moves onto the copy, and the
// metadata filters find every run they found before.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "durably/engine";
import { buildStatements } from "../engine/db/sql/index.ts";
import type { RunListFilter } from "../engine/db/sql/run-list.ts";
import { ownDatabase, uniqueSchema } from "./helpers/db.ts";

const schema = uniqueSchema("metadata_search");
const s = `"${schema}"`;
// Its concurrent index builds wait for every older transaction of their database.
let database: Awaited<ReturnType<typeof ownDatabase>>;
let client: pg.Client;
beforeAll(async () => {
  database = await ownDatabase("mdsearch");
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await database.drop();
});

/** The schema as migration 45 left it. */
async function backTo45() {
  await client.query(`
    DROP TRIGGER runs_metadata_search_insert ON ${s}.runs;
    DROP TRIGGER runs_metadata_search_update ON ${s}.runs;
    DROP FUNCTION ${s}.copy_metadata_search();
    ALTER TABLE ${s}.runs DROP COLUMN metadata_search;
    CREATE INDEX runs_metadata_idx ON ${s}.runs USING gin (metadata) WHERE metadata <> '{}'::jsonb;
    DELETE FROM ${s}.migrations WHERE version > 45`);
}

describe("the metadata filters' copy of the metadata (migrations 46–48)", () => {
  it("is made for the runs written before it, in batches, and the filters find them through the index on it", async () => {
    await migrate(client, schema);
    await backTo45();
    // 2,500 runs: three batches. Every fifth has no metadata; the statuses take turns.
    await client.query(`
      INSERT INTO ${s}.runs (id, task_id, task_version, payload, status, lease, metadata)
      SELECT 'run_' || lpad(g::text, 6, '0'), 'old', '1', '{}', st,
        CASE WHEN st = 'EXECUTING' THEN gen_random_uuid() END,
        CASE WHEN g % 5 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('stage', CASE WHEN g % 3 = 0 THEN 'shipping' ELSE 'packing' END) END
      FROM generate_series(1, 2500) g, LATERAL (SELECT (ARRAY['SUCCESS', 'WAITING', 'QUEUED', 'EXECUTING', 'FAILURE'])[g % 5 + 1] AS st) x`);

    // Each batch commits: a migrator running the procedure inside a transaction would fail here.
    // (and the migrations after 48, which backTo45 undid too).
    expect((await migrate(client, schema)).slice(0, 3)).toEqual([46, 47, 48]);

    const { rows: stale } = await client.query(`
      SELECT id FROM ${s}.runs WHERE status <> 'EXECUTING' AND coalesce(metadata_search, '{}'::jsonb) <> metadata`);
    expect(stale).toEqual([]);
    const { rows: indexes } = await client.query<{ name: string; valid: boolean; def: string }>(`
      SELECT c.relname AS name, i.indisvalid AS valid, replace(pg_get_indexdef(i.indexrelid), '${schema}', 'x') AS def
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '${s}.runs'::regclass`);
    // No index reads the metadata itself any more: its writes can be HOT.
    expect(indexes.filter((i) => /\bmetadata\b/.test(i.def))).toEqual([]);
    expect(indexes.find((i) => i.name === "runs_metadata_search_idx")).toEqual({
      name: "runs_metadata_search_idx", valid: true, def: expect.stringMatching(/USING gin \(metadata_search\) WHERE \(metadata_search <> '\{\}'::jsonb\)$/),
    });
    expect((await client.query(`SELECT 1 FROM pg_proc WHERE proname = 'backfill_metadata_search'`)).rows).toEqual([]);

    const statements = buildStatements(schema);
    const none: RunListFilter = { statuses: null, task: null, tag: null, eventId: null, from: null, to: null, metadataKey: null, metadataValue: null };
    const truth = async (where: string) =>
      (await client.query<{ id: string }>(`SELECT id FROM ${s}.runs WHERE ${where} ORDER BY id`)).rows.map((r) => r.id);
    for (const [filter, where] of [
      [{ metadataKey: "stage", metadataValue: "shipping" }, "metadata ->> 'stage' = 'shipping'"],
      [{ metadataKey: "stage" }, "metadata ? 'stage'"],
    ] as [Partial<RunListFilter>, string][]) {
      const want = await truth(where);
      expect(want.length).toBeGreaterThan(300);
      const page = statements.runList.page({ ...none, ...filter }, null, 3_000, "sorted");
      expect((await client.query<{ id: string }>(page.text, page.values)).rows.map((r) => r.id).sort()).toEqual(want);
    }
  });
});
