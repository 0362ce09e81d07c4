import { afterAll, beforeAll, expect, it } from "vitest";
import { Database } from "../engine/db/database.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import { createLogger } from "../engine/logger.ts";
import { migrateAt } from "../engine/migrate.ts";
import { applyRetention, type PurgeProgress } from "../engine/retention/purge-runs.ts";
import { installScheduler } from "../engine/jobs/pg-boss.ts";
import { dropSchemas, sql, TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";

const schema = uniqueSchema("retention_progress");
let db: Database;
beforeAll(async () => {
  await migrateAt(TEST_DATABASE_URL, schema);
  await installScheduler({ databaseUrl: TEST_DATABASE_URL, schema, heartbeatSeconds: 10, recoverySeconds: 5 }, createLogger("silent"));
  db = new Database(TEST_DATABASE_URL, 2, createLogger("silent"));
});
afterAll(async () => {
  await db.end();
  await dropSchemas(schema);
});

it("a retention pass reports its backlog when it starts, each batch's roots and rows, and its end", async () => {
  // Four old roots: three go, one waits for its unfinished child (due itself, so counted in the backlog).
  await sql(`
    INSERT INTO "${schema}".runs (id, task_id, task_version, payload, status, created_at, finished_at)
    SELECT 'run_old_' || i, 'progress', '1', '{}', 'SUCCESS', now() - interval '40 days', now() - interval '40 days' FROM generate_series(1, 4) i;
    INSERT INTO "${schema}".runs (id, task_id, task_version, payload, status, parent_run_id, created_at)
    VALUES ('run_old_4_child', 'progress', '1', '{}', 'WAITING', 'run_old_4', now() - interval '40 days');
    INSERT INTO "${schema}".journal (run_id, seq, kind, key, status, output, revision, started_at)
    SELECT 'run_old_' || i, s, 'task', 'k', 'completed', '{}', 1, now() FROM generate_series(1, 3) i, generate_series(1, 2) s`);
  const calls: unknown[] = [];
  const progress: PurgeProgress = {
    passStarted: (backlog) => calls.push(["started", backlog]),
    batchDone: ({ roots, rows, seconds }) => calls.push(["batch", roots, rows, seconds > 0]),
    passDone: () => calls.push(["done"]),
  };
  const purged = await applyRetention({ db, sql: buildStatements(schema) }, schema, { runsMs: 30 * 86_400_000, keepHistoryMs: undefined }, progress);
  expect(purged).toBe(3);
  expect(calls).toEqual([["started", 4], ["batch", 3, { runs: 3, journal: 6, run_metadata_history: 0 }, true], ["done"]]);
});
