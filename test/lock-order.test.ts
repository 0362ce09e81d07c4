import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "durably/engine";
import { Database, type Queryable } from "../engine/db/database.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import type { JournalItem } from "../engine/db/hot-path/write-journal.ts";
import { BatchedWrites } from "../engine/journal/batched-writes.ts";
import { createLogger } from "../engine/logger.ts";
import { ReadyRuns } from "../engine/worker/ready-runs.ts";
import { TEST_DATABASE_URL, dropSchemas, insertExecutingRun, sql, uniqueSchema } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

const schema = uniqueSchema("lock_order");
const statements = buildStatements(schema);
const channels = { run: "durably_test_lock_order", wake: "durably_test_lock_order_wake" };

/** The engine's database, keeping every deadlock Postgres broke by failing one of its statements. */
class Watched extends Database {
  deadlocks: string[] = [];
  override async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], on?: Queryable) {
    try {
      return await super.query<R>(text, values, on);
    } catch (error) {
      if ((error as { code?: string }).code === "40P01") this.deadlocks.push(text);
      throw error;
    }
  }
}

const db = new Watched(TEST_DATABASE_URL, 8, createLogger("error"));

beforeAll(() => db.withClient((client) => migrate(client, schema)));
beforeEach(async () => {
  db.deadlocks = [];
  await sql(`DELETE FROM "${schema}".runs`);
});
afterAll(async () => {
  await db.end();
  await dropSchemas(schema);
});

/** Inserts executing runs in the order given (so a scan of `runs` meets them in that order); returns their leases. */
async function executing(...ids: string[]): Promise<Record<string, string>> {
  const leases: Record<string, string> = {};
  for (const id of ids) leases[id] = (await insertExecutingRun(schema, id)).lease;
  return leases;
}

/**
 * Another party that follows the engine's lock order: it locks `first`, lets the engine's
 * statement start and wait for it, then locks `second` (later in id order) and commits.
 */
async function lockInOrder(first: string, second: string, whileHeld: () => Promise<void>): Promise<void> {
  const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await other.connect();
  try {
    await other.query("BEGIN");
    await other.query(`UPDATE "${schema}".runs SET updated_at = now() WHERE id = $1`, [first]);
    await whileHeld();
    await waitingForLocks(1);
    const { rowCount } = await other.query(`UPDATE "${schema}".runs SET updated_at = now() WHERE id = $1`, [second]);
    expect(rowCount).toBe(1);
    await other.query("COMMIT");
  } finally {
    await other.end();
  }
}

/** Until `count` statements on this file's schema wait for a row lock. */
function waitingForLocks(count: number): Promise<true> {
  return until(async () => {
    const [row] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND state = 'active' AND position($1 in query) > 0`,
      [`"${schema}".runs`],
    );
    return row!.n >= count ? true : undefined;
  }, 10_000, 10);
}

const entry = (runId: string, lease: string): JournalItem => ({
  run_id: runId, lease, seq: 1, kind: "task", key: "step", status: "completed",
  output: { json: 1 }, error: null, attempts: 1, started_at: new Date(), next_status: null,
});

describe("statements that lock several runs take them in one order", () => {
  it("a journal batch queued in the opposite order does not deadlock with another party", async () => {
    // Same last character: one lane. run_lock_c0 keeps the lane busy so that the other two go together.
    const leases = await executing("run_lock_b0", "run_lock_a0", "run_lock_c0");
    const writes = new BatchedWrites(db, statements, channels.run);
    const blocker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await blocker.connect();
    let landed: Promise<boolean[]> | undefined;
    try {
      await blocker.query("BEGIN");
      await blocker.query(`UPDATE "${schema}".runs SET updated_at = now() WHERE id = 'run_lock_c0'`);
      const busy = writes.write(entry("run_lock_c0", leases.run_lock_c0!));
      await waitingForLocks(1);
      landed = Promise.all([
        busy,
        writes.write(entry("run_lock_b0", leases.run_lock_b0!)),
        writes.write(entry("run_lock_a0", leases.run_lock_a0!)),
      ]);
      await lockInOrder("run_lock_a0", "run_lock_b0", async () => {
        await blocker.query("COMMIT");
        await busy;
      });
    } finally {
      await blocker.end();
    }
    expect(await landed).toEqual([true, true, true]);
    expect(db.deadlocks).toEqual([]);
  });

  it("the heartbeat never waits for a locked run, so not even a party locking against the id order deadlocks with it", async () => {
    // A child run's change to its parent's metadata locks the child, then the parent.
    const leases = await executing("run_skip_a", "run_skip_b");
    const ready = new ReadyRuns(db, statements, channels);
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(`UPDATE "${schema}".runs SET updated_at = now() WHERE id = 'run_skip_b'`);
      await ready.heartbeat([{ id: "run_skip_a", lease: leases.run_skip_a! }, { id: "run_skip_b", lease: leases.run_skip_b! }]);
      await other.query(`UPDATE "${schema}".runs SET updated_at = now() WHERE id = 'run_skip_a'`);
      await other.query("COMMIT");
    } finally {
      await other.end();
    }
    expect(db.deadlocks).toEqual([]);
  });

  it("a cancel of a run and its child does not deadlock with another party", async () => {
    await executing("run_tree_b", "run_tree_a");
    await sql(`UPDATE "${schema}".runs SET parent_run_id = 'run_tree_b' WHERE id = 'run_tree_a'`);
    let canceled: Promise<string[]> | undefined;
    await lockInOrder("run_tree_a", "run_tree_b", async () => {
      canceled = db.transaction(async (client) => {
        const { rows } = await db.query<{ id: string }>(statements.runs.cancel, ["run_tree_b", { message: "canceled" }, channels.run], client);
        return rows.map((r) => r.id).sort();
      });
    });
    expect(await canceled).toEqual(["run_tree_a", "run_tree_b"]);
    expect(db.deadlocks).toEqual([]);
  });
});

describe("the recovery of lapsed runs", () => {
  it("skips a lapsed run whose row is locked instead of waiting for it, and takes it once it is free", async () => {
    await executing("run_lapsed_a", "run_lapsed_b");
    await sql(`UPDATE "${schema}".runs SET heartbeat_at = now() - interval '1 hour'`);
    const ready = new ReadyRuns(db, statements, channels);
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(`UPDATE "${schema}".runs SET updated_at = now() WHERE id = 'run_lapsed_a'`);
      expect(await ready.recoverLapsed(10)).toBe(1);
      await other.query("COMMIT");
    } finally {
      await other.end();
    }
    expect(await ready.recoverLapsed(10)).toBe(1);
    const rows = await sql<{ status: string }>(`SELECT status FROM "${schema}".runs`);
    expect(rows.map((r) => r.status)).toEqual(["QUEUED", "QUEUED"]);
  });
});
