import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { encode } from "../engine/serialize.ts";
import { TEST_DATABASE_URL, dropSchemas, sql as query, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { partsOf } from "../engine/internal.ts";

const schema = uniqueSchema("claim_race");
afterEach(() => dropSchemas(schema));

const invoked = { one: 0, two: 0 };
const twoSteps = task({
  id: "two-steps",
  run: async (_: null, { io }) => {
    await io.runTask("one", async () => ++invoked.one);
    await io.runTask("two", async () => ++invoked.two);
    return "done";
  },
});

describe("a run taken over while its older execution is writing", () => {
  it("replays the entry that write committed while the claim waited for it, instead of running the step again", async () => {
    const client = await startTestEngine("claim_race_client", { schema, tasks: [twoSteps], worker: false });
    const { db, sql, channels } = partsOf(client);
    // Started by a job in a second, so that only that job's claim can take it.
    const { id } = await twoSteps.trigger(null, { delay: "1s" });
    const olderLease = randomUUID();
    const claimed = await db.query(sql.runs.claimMany, [JSON.stringify([{ run_id: id, lease: olderLease, counts: 1 }]), channels.run]);
    expect(claimed.rowCount).toBe(1);

    // The older execution's write of step "one", holding the run's row lock until it commits.
    const older = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await older.connect();
    try {
      await older.query("BEGIN");
      const { rowCount } = await older.query(sql.journal.writeOne, [
        id, olderLease, 1, "task", "one", "completed", JSON.stringify(encode(1, "output")), null, 1, new Date(), null, channels.run, false, null,
      ]);
      expect(rowCount).toBe(1);

      // The older execution's worker went silent: pg-boss delivers the job again, the one kind of
      // job that may take a run from an execution still holding it.
      await query(`UPDATE "${schema}_boss".job SET retry_count = 1 WHERE data->>'runId' = $1`, [id]);
      await startTestEngine("claim_race_worker", { schema, tasks: [twoSteps], pollIntervalMs: 100 });
      await waitForClaimBlocked(id);
      await older.query("COMMIT");
    } finally {
      await older.end();
    }

    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.status).toBe("SUCCESS");
    expect(invoked).toEqual({ one: 0, two: 1 });
  });
});

/** Until a statement on this test's schema waits for a lock: the worker's claim of the run. */
async function waitForClaimBlocked(runId: string): Promise<void> {
  const observer = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await observer.connect();
  try {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const { rows } = await observer.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND state = 'active' AND position($1 in query) > 0`,
        [`"${schema}".runs`],
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no claim of ${runId} waited for the older execution's write`);
  } finally {
    await observer.end();
  }
}
