import type pg from "pg";
import { mapLimit, sleep } from "./stats.ts";

/** Triggers in flight at once from the benchmark's process (parallel batches through the engine's pool). */
export const TRIGGER_PARALLELISM = 32;

export interface Trial {
  seconds: number;
  triggerSeconds: number;
}

/**
 * Triggers `runs` runs of `task` and times them from before the first trigger to the last run's
 * finish, both by the database's clock. Only the task's runs are read (through the task index), so
 * a schema full of other runs (the big-table rows) costs the watcher nothing more.
 */
export async function runTrial(watcher: pg.ClientBase, schema: string, task: string, runs: number, trigger: (i: number) => Promise<unknown>): Promise<Trial> {
  const { rows: [start] } = await watcher.query<{ at: Date }>("SELECT clock_timestamp() AS at");
  const t0 = performance.now();
  await mapLimit(Array.from({ length: runs }, (_, i) => i), TRIGGER_PARALLELISM, trigger);
  const triggerSeconds = (performance.now() - t0) / 1000;
  await waitForAll(watcher, schema, task, runs, 240_000);
  const { rows: [end] } = await watcher.query<{ at: Date }>(`SELECT max(finished_at) AS at FROM "${schema}".runs WHERE task_id = $1`, [task]);
  return { seconds: (end!.at.getTime() - start!.at.getTime()) / 1000, triggerSeconds };
}

export async function waitForAll(client: pg.ClientBase, schema: string, task: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows: [row] } = await client.query<{ done: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status = 'SUCCESS')::int AS done,
              count(*) FILTER (WHERE status IN ('FAILURE', 'CANCELED'))::int AS failed FROM "${schema}".runs WHERE task_id = $1`,
      [task],
    );
    if (row!.failed > 0) throw new Error(`${row!.failed} runs failed`);
    if (row!.done >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${row!.done} of ${count} runs finished in ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Deletes the task's runs (and, by the runs' delete trigger, all they owned) between trials. */
export async function deleteRuns(client: pg.ClientBase, schema: string, task: string): Promise<void> {
  await client.query(`DELETE FROM "${schema}".runs WHERE task_id = $1`, [task]);
}
