// An io call's update of its run is HOT: it writes no index entry. Every io call moves columns of
// runs (revision, updated_at, heartbeat_at, and the audit chain's head for a status); an index on
// any of them would put an entry in each of the table's indexes at every step.
import { describe, expect, it } from "vitest";
import { insertExecutingRun, sql } from "./helpers/db.ts";
import { migratedSchema } from "./helpers/migrated-schema.ts";

const { schema, statements, client: connection } = migratedSchema("hot_updates");

/**
 * The updates of runs in this transaction so far, and how many of them were HOT, with those of
 * this connection's earlier transactions that its statistics have not flushed yet.
 */
const updates = async () =>
  (await connection().query<{ updated: string; hot: string }>(
    `SELECT n_tup_upd AS updated, n_tup_hot_upd AS hot FROM pg_stat_xact_user_tables WHERE relid = '"${schema}".runs'::regclass`,
  )).rows[0]!;

describe("an io call's update of its run", () => {
  it("is HOT for a step and for a status, batched or alone", async () => {
    const runs = await Promise.all(["run_hot_a", "run_hot_b"].map((id) => insertExecutingRun(schema, id)));
    const item = (run: { id: string; lease: string }, seq: number, kind: string, output: unknown) => ({
      run_id: run.id, lease: run.lease, seq, kind, key: `${kind}-${seq}`, status: "completed", output: JSON.stringify(output),
      error: null, attempts: 1, started_at: new Date(), next_status: null,
    });
    await connection().query("BEGIN");
    try {
      const batch = runs.flatMap((run) => [item(run, 1, "task", { json: 1 })]);
      expect((await connection().query(statements.journal.writeManyNoClaim, [JSON.stringify(batch), "durably_test_hot", []])).rowCount).toBe(2);
      const statuses = runs.map((run) => item(run, 2, "status", { json: { key: "progress", label: "1/2" } }));
      expect((await connection().query(statements.journal.writeManyNoClaim, [JSON.stringify(statuses), "durably_test_hot", []])).rowCount).toBe(2);
      const [run] = runs;
      expect((await connection().query(statements.journal.writeOne, [
        run!.id, run!.lease, 3, "task", "task-3", "completed", JSON.stringify({ json: 3 }), null, 1, new Date(), null, "durably_test_hot", false, null,
      ])).rowCount).toBe(1);
      expect(await updates()).toEqual({ updated: "5", hot: "5" });
    } finally {
      await connection().query("ROLLBACK");
    }
  });

  // No index reads runs.metadata (migration 47): the metadata filters' index is on its copy,
  // which a run's own writes leave alone while it executes.
  it("is HOT for a metadata.set of a run that has metadata, batched or alone, and its end copies the metadata in the same update", async () => {
    const runs = await Promise.all(["run_md_a", "run_md_b"].map((id) => insertExecutingRun(schema, id, { region: "eu-west" })));
    // Resumed from a wait: the copy holds the metadata, as the filters' index does.
    for (const status of ["WAITING", "EXECUTING"]) {
      await sql(`UPDATE "${schema}".runs SET status = $1 WHERE id = ANY($2)`, [status, runs.map((r) => r.id)]);
    }
    const item = (run: { id: string; lease: string }, seq: number | null, value: string, nextStatus: string | null = null) => ({
      run_id: run.id, lease: run.lease, seq, kind: "metadata", key: `metadata-${seq}`, status: "completed", output: JSON.stringify({ json: null }),
      error: null, attempts: 1, started_at: new Date(), next_status: nextStatus, run_output: null, run_error: null, awaited: false,
      md: seq === null ? null : true, md_op: "set", md_key: "progress", md_value: value,
    });
    await connection().query("BEGIN");
    try {
      const before = await updates();
      const since = async () => {
        const now = await updates();
        return { updated: Number(now.updated) - Number(before.updated), hot: Number(now.hot) - Number(before.hot) };
      };
      const batch = runs.map((run) => item(run, 1, "1/3"));
      expect((await connection().query(statements.journal.writeManyWithMetadataNoClaim, [JSON.stringify(batch), "durably_test_hot", []])).rowCount).toBe(2);
      const [run] = runs;
      expect((await connection().query(statements.journal.writeOneWithMetadata, [
        run!.id, run!.lease, 2, "metadata", "metadata-2", "completed", JSON.stringify({ json: null }), null, 1, new Date(), null, "durably_test_hot",
        true, "set", "progress", JSON.stringify("2/3"), false, null,
      ])).rowCount).toBe(1);
      expect(await since()).toEqual({ updated: 3, hot: 3 });

      const ends = runs.map((r) => item(r, null, "", "SUCCESS"));
      expect((await connection().query(statements.journal.writeManyWithMetadataNoClaim, [JSON.stringify(ends), "durably_test_hot", []])).rowCount).toBe(2);
      // One update a run: the migration's trigger did not have to copy the metadata in a second one.
      expect((await since()).updated).toBe(5);
      const { rows } = await connection().query(`SELECT id, metadata, metadata_search FROM "${schema}".runs WHERE id = ANY($1) ORDER BY id`, [runs.map((r) => r.id)]);
      expect(rows).toEqual([
        { id: "run_md_a", metadata: { region: "eu-west", progress: "2/3" }, metadata_search: { region: "eu-west", progress: "2/3" } },
        { id: "run_md_b", metadata: { region: "eu-west", progress: "1/3" }, metadata_search: { region: "eu-west", progress: "1/3" } },
      ]);
    } finally {
      await connection().query("ROLLBACK");
    }
  });
});
