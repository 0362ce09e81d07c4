// A read of whole runs names its columns: `r.*` also carried every finished run's metadata a
// second time (metadata_search, the filters' copy) and the audit chain's head, parsed by
// node-postgres for every run read, listed or claimed, and used by none.
import { describe, expect, it } from "vitest";
import { RUN_COLUMNS, RUN_COLUMNS_LEFT_OUT } from "../engine/db/sql/run-columns.ts";
import { migratedSchema } from "./helpers/migrated-schema.ts";

const { schema, statements, client } = migratedSchema("run_columns");

describe("the columns a run read returns", () => {
  it("are every column of runs but the ones left out on purpose: a column a migration adds is read, or named as left out", async () => {
    const { rows } = await client().query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'runs'", [schema],
    );
    expect([...RUN_COLUMNS, ...RUN_COLUMNS_LEFT_OUT].sort()).toEqual(rows.map((row) => row.column_name).sort());
  });

  it("leave out the metadata's searched copy and the audit chain's head, in a run read and a list page", async () => {
    await client().query(
      `INSERT INTO "${schema}".runs (id, task_id, task_version, payload, status, metadata, finished_at)
       VALUES ('run_columns_a', 'task', '1', '{}', 'SUCCESS', '{"k": "v"}', now())`,
    );
    const [stored] = (await client().query(`SELECT metadata_search FROM "${schema}".runs WHERE id = 'run_columns_a'`)).rows;
    expect(stored.metadata_search).toEqual({ k: "v" });
    const [read] = (await client().query(statements.runs.get, ["run_columns_a"])).rows;
    expect(read.metadata).toEqual({ k: "v" });
    const page = statements.runList.page({ statuses: null, task: null, tag: null, eventId: null, from: null, to: null, metadataKey: "k", metadataValue: null }, null, 10);
    const [listed] = (await client().query(page.text, page.values)).rows;
    expect(listed.id).toBe("run_columns_a");
    for (const row of [read, listed]) for (const column of RUN_COLUMNS_LEFT_OUT) expect(row).not.toHaveProperty(column);
  });
});
