import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configure, runs, task } from "durably";
import { disconnect } from "../sdk/backend.ts";
import { createEngine, type Engine } from "durably/engine";
import { dropSchemas, sql, TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

const schema = uniqueSchema("retention_races");
const leaf = task({ id: "race-leaf", retry: { maxAttempts: 1 }, run: async (payload: { fail?: boolean }) => {
  if (payload.fail) throw new Error("failed");
  return "leaf";
} });

let engine: Engine;
beforeAll(async () => {
  engine = createEngine({ databaseUrl: TEST_DATABASE_URL, schema, tasks: [leaf], logLevel: "error", pollIntervalMs: 200 });
  await engine.start();
  configure({ databaseUrl: TEST_DATABASE_URL, schema });
});
afterAll(async () => {
  await disconnect();
  await engine?.stop();
  await dropSchemas(schema);
});

const finished = async (id: string) => (await runs.poll(id, { timeoutMs: 30_000 })).status;
const ageDays = (ids: string[], days: number) =>
  sql(`UPDATE "${schema}".runs SET created_at = created_at - make_interval(days => $2), finished_at = finished_at - make_interval(days => $2) WHERE id = ANY($1)`, [ids, days]);
const existing = async (ids: string[]) => (await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE id = ANY($1) ORDER BY id`, [ids])).map((r) => r.id);

const GATE = 7_231_001;

/**
 * Holds every purge batch after its statement took its snapshot and before it locks the runs it
 * deletes (a BEFORE DELETE statement trigger on runs waits on an advisory lock the test holds),
 * so the test can commit a change exactly in that window, then lets it go.
 */
async function heldPurge<T>(purge: () => Promise<T>, meanwhile: () => Promise<void>): Promise<T> {
  await sql(`CREATE FUNCTION "${schema}".race_gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(${GATE}); RETURN NULL; END $$`);
  await sql(`CREATE TRIGGER race_gate BEFORE DELETE ON "${schema}".runs FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".race_gate()`);
  const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await holder.connect();
  try {
    await holder.query("SELECT pg_advisory_lock($1)", [GATE]);
    const result = purge().then((value) => ({ value }), (error: Error) => ({ error }));
    await until(async () => {
      const { rows } = await holder.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted", [GATE]);
      return rows.length > 0 ? true : undefined;
    }, 30_000);
    await meanwhile();
    await holder.query("SELECT pg_advisory_unlock($1)", [GATE]);
    const outcome = await result;
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  } finally {
    await holder.end();
    await sql(`DROP TRIGGER race_gate ON "${schema}".runs; DROP FUNCTION "${schema}".race_gate()`);
  }
}

describe("a purge racing other writers", () => {
  it("keeps an origin whose fork committed while the batch ran, and purges the rest of the batch", async () => {
    const origin = (await leaf.trigger({})).id;
    const other = (await leaf.trigger({})).id;
    for (const id of [origin, other]) expect(await finished(id)).toBe("SUCCESS");
    await ageDays([origin, other], 40);
    let fork = "";
    const result = await heldPurge(() => runs.purge({ olderThan: "30d" }), async () => {
      fork = (await runs.fork(origin, { fromSeq: 1 })).id;
    });
    expect(result).toEqual({ count: 1, dryRun: false });
    expect(await existing([origin, other, fork])).toEqual([origin, fork].sort());
  }, 60_000);

  it("keeps a run retried while the batch ran", async () => {
    const failed = (await leaf.trigger({ fail: true })).id;
    expect(await finished(failed)).toBe("FAILURE");
    await ageDays([failed], 40);
    const result = await heldPurge(() => runs.purge({ olderThan: "30d" }), async () => {
      await runs.retry(failed);
    });
    expect(result).toEqual({ count: 0, dryRun: false });
    expect(await existing([failed])).toEqual([failed]);
  }, 60_000);

  it("goes on past more than a batch of roots created in one transaction that all stay", async () => {
    // 501 old roots with one created_at (as a batch trigger makes), each with an unfinished child: none can go.
    await sql(`
      WITH roots AS (
        INSERT INTO "${schema}".runs (id, task_id, task_version, payload, status, created_at, finished_at)
        SELECT 'run_same_' || lpad(i::text, 4, '0'), 'race-leaf', '1', '{}', 'SUCCESS', now() - interval '40 days', now() - interval '40 days'
        FROM generate_series(1, 501) i RETURNING id
      )
      INSERT INTO "${schema}".runs (id, task_id, task_version, payload, status, parent_run_id, created_at)
      SELECT id || '_child', 'race-leaf', '1', '{}', 'WAITING', id, now() - interval '40 days' FROM roots`);
    const after = (await leaf.trigger({})).id;
    expect(await finished(after)).toBe("SUCCESS");
    await ageDays([after], 39);
    expect(await runs.purge({ olderThan: "30d" })).toEqual({ count: 1, dryRun: false });
    expect(await existing([after])).toEqual([]);
  }, 60_000);
});
