import type pg from "pg";
import { mapLimit, sleep } from "./stats.ts";

/** Triggers in flight at once from the benchmark's process (parallel batches through the engine's pool). */
export const TRIGGER_PARALLELISM = 32;

export interface Trial {
  seconds: number;
  triggerSeconds: number;
}

/**
 * Triggers `runs` runs and times them from before the first trigger to the last run's finish, both
 * by the database's clock.
 */
export async function runTrial(watcher: pg.ClientBase, schema: string, runs: number, trigger: (i: number) => Promise<{ id: string }>): Promise<Trial> {
  const { rows: [start] } = await watcher.query<{ at: Date }>("SELECT clock_timestamp() AS at");
  const t0 = performance.now();
  const ids = (await mapLimit(Array.from({ length: runs }, (_, i) => i), TRIGGER_PARALLELISM, trigger)).map((run) => run.id);
  const triggerSeconds = (performance.now() - t0) / 1000;
  await waitForAll(watcher, schema, ids, 240_000);
  const { rows: [end] } = await watcher.query<{ at: Date }>(`SELECT max(finished_at) AS at FROM "${schema}".runs WHERE id = ANY($1)`, [ids]);
  return { seconds: (end!.at.getTime() - start!.at.getTime()) / 1000, triggerSeconds };
}

/** Runs a look reads at most: the watcher's work must not grow with the runs in flight. */
const LOOK = 64;

/**
 * Waits for these runs to succeed; throws when one failed. A look reads, by primary key, the first
 * `LOOK` runs not yet seen finished (they finish about in the order they were triggered), and looks
 * again at once when all of them had. A look at the task's runs through its index read every version
 * of them, and a look at every run still waiting, by primary key, up to 1,000 runs: 10–25 ms a look
 * on a table of a million runs against 1–2 ms on an empty one, 20 looks a second, on the cores the
 * measured engine runs on.
 */
export async function waitForAll(client: pg.ClientBase, schema: string, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let waiting = ids;
  while (waiting.length > 0) {
    const head = waiting.slice(0, LOOK);
    const { rows } = await client.query<{ id: string; status: string }>(
      `SELECT id, status FROM "${schema}".runs WHERE id = ANY($1) AND status IN ('SUCCESS', 'FAILURE', 'CANCELED')`,
      [head],
    );
    const failed = rows.filter((row) => row.status !== "SUCCESS");
    if (failed.length > 0) throw new Error(`${failed.length} runs failed`);
    const finished = new Set(rows.map((row) => row.id));
    waiting = waiting.filter((id) => !finished.has(id));
    if (rows.length === head.length) continue;
    if (Date.now() > deadline) throw new Error(`only ${ids.length - waiting.length} of ${ids.length} runs finished in ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Deletes the task's runs (and, by the runs' delete trigger, all they owned) between trials. */
export async function deleteRuns(client: pg.ClientBase, schema: string, task: string): Promise<void> {
  await client.query(`DELETE FROM "${schema}".runs WHERE task_id = $1`, [task]);
}
