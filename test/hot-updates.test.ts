// An io call's update of its run is HOT: it writes no index entry. Every io call moves columns of
// runs (revision, updated_at, heartbeat_at, and the audit chain's head for a status); an index on
// any of them would put an entry in each of the table's indexes at every step.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "durably/engine";
import { buildStatements } from "../engine/db/sql/index.ts";
import { TEST_DATABASE_URL, dropSchemas, insertExecutingRun, uniqueSchema } from "./helpers/db.ts";

const schema = uniqueSchema("hot_updates");
const statements = buildStatements(schema);
let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await migrate(client, schema);
});

afterAll(async () => {
  await client.end();
  await dropSchemas(schema);
});

/** The updates of runs in this transaction so far, and how many of them were HOT. */
const updates = async () =>
  (await client.query<{ updated: string; hot: string }>(
    `SELECT n_tup_upd AS updated, n_tup_hot_upd AS hot FROM pg_stat_xact_user_tables WHERE relid = '"${schema}".runs'::regclass`,
  )).rows[0]!;

describe("an io call's update of its run", () => {
  it("is HOT for a step and for a status, batched or alone", async () => {
    const runs = await Promise.all(["run_hot_a", "run_hot_b"].map((id) => insertExecutingRun(schema, id)));
    const item = (run: { id: string; lease: string }, seq: number, kind: string, output: unknown) => ({
      run_id: run.id, lease: run.lease, seq, kind, key: `${kind}-${seq}`, status: "completed", output: JSON.stringify(output),
      error: null, attempts: 1, started_at: new Date(), next_status: null,
    });
    await client.query("BEGIN");
    try {
      const batch = runs.flatMap((run) => [item(run, 1, "task", { json: 1 })]);
      expect((await client.query(statements.journal.writeManyNoClaim, [JSON.stringify(batch), "durably_test_hot", []])).rowCount).toBe(2);
      const statuses = runs.map((run) => item(run, 2, "status", { json: { key: "progress", label: "1/2" } }));
      expect((await client.query(statements.journal.writeManyNoClaim, [JSON.stringify(statuses), "durably_test_hot", []])).rowCount).toBe(2);
      const [run] = runs;
      expect((await client.query(statements.journal.writeOne, [
        run!.id, run!.lease, 3, "task", "task-3", "completed", JSON.stringify({ json: 3 }), null, 1, new Date(), null, "durably_test_hot", false, null,
      ])).rowCount).toBe(1);
      expect(await updates()).toEqual({ updated: "5", hot: "5" });
    } finally {
      await client.query("ROLLBACK");
    }
  });
});
