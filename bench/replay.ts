import { task } from "../sdk/index.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { percentile, round } from "./lib/stats.ts";
import { serviceOf } from "../engine/internal.ts";

const STEPS = 10_000;
const REPEATS = 5;

/**
 * Row 5: a run whose journal already holds 10,000 completed task steps (inserted with SQL, their
 * output as JSON text as the engine writes it since migration 39) is resumed; timed from the
 * resume request to the code calling its step 10,001, i.e. job dispatch + claim (which loads the
 * journal) + replay of every recorded step.
 */
export default async function replay(url: string): Promise<Row[]> {
  let entered: number | undefined;
  let reached: ((at: { entered: number; reached: number }) => void) | undefined;
  const long = task<{ steps: number }, number>({
    id: "bench-replay",
    run: async ({ steps }, { io }) => {
      entered = performance.now();
      for (let i = 1; i <= steps; i++) await io.runTask(`s${i}`, async () => i);
      reached?.({ entered: entered!, reached: performance.now() });
      await io.runTask(`s${steps + 1}`, async () => steps + 1);
      return steps;
    },
  });
  const bench = await startBenchEngine(url, "replay", { tasks: [long] });
  const client = await connectClient(url);
  const s = `"${bench.schema}"`;
  const runId = "run_bench_replay";
  const total: number[] = [];
  const dispatch: number[] = [];
  const inCode: number[] = [];
  const select: number[] = [];
  try {
    await client.query(
      `INSERT INTO ${s}.runs (id, task_id, task_version, payload, status, revision) VALUES ($1, 'bench-replay', '1', $2, 'FAILURE', $3)`,
      [runId, { json: { steps: STEPS } }, STEPS + 1],
    );
    await client.query(
      `INSERT INTO ${s}.journal (run_id, seq, kind, key, status, output_json, attempts, revision, started_at)
       SELECT $1, i, 'task', 's' || i, 'completed', ('{"json":' || i || '}')::json, 1, i, now() FROM generate_series(1, $2) i`,
      [runId, STEPS],
    );
    await client.query(`ANALYZE ${s}.journal`);
    for (let r = 0; r < REPEATS + 1; r++) {
      const done = new Promise<{ entered: number; reached: number }>((resolve) => (reached = resolve));
      const t0 = performance.now();
      await serviceOf(bench.engine).retryRun(runId);
      const at = await done;
      const run = await serviceOf(bench.engine).pollRun(runId, 60_000);
      if (run.status !== "SUCCESS") throw new Error(`replay run ended ${run.status}`);
      if (r > 0) {
        total.push(at.reached - t0);
        dispatch.push(at.entered - t0);
        inCode.push(at.reached - at.entered);
      }
      // Back to exactly 10,000 recorded steps and a state `retryRun` accepts.
      await client.query(`DELETE FROM ${s}.journal WHERE run_id = $1 AND seq > $2`, [runId, STEPS]);
      await client.query(`UPDATE ${s}.runs SET status = 'FAILURE' WHERE id = $1`, [runId]);
    }
    const q = {
      name: "bench_select_journal",
      text: `SELECT seq, kind, key, status, output_json, error, attempts FROM ${s}.journal WHERE run_id = $1 ORDER BY seq`,
      values: [runId],
    };
    await client.query(q);
    for (let r = 0; r < REPEATS; r++) {
      const t0 = performance.now();
      const { rows } = await client.query(q);
      if (rows.length !== STEPS) throw new Error(`expected ${STEPS} journal rows, got ${rows.length}`);
      select.push(performance.now() - t0);
    }
  } finally {
    await client.end();
    await bench.close();
  }
  const p50 = percentile(total, 50);
  const base = percentile(select, 50);
  return [{
    id: "replay_10k",
    row: "replay of a 10,000-step journal → step 10,001",
    engine: `${round(p50, 1)} ms (dispatch+claim ${round(percentile(dispatch, 50), 1)}, replay in code ${round(percentile(inCode, 50), 1)})`,
    baseline: `${round(base, 1)} ms (SELECT 10,000 journal rows)`,
    ratio: round(p50 / base, 1),
    target: "≤ 200 ms",
    met: p50 <= 200,
    data: {
      steps: STEPS, repeats: REPEATS, p50_ms: round(p50), max_ms: round(Math.max(...total)),
      dispatch_claim_p50_ms: round(percentile(dispatch, 50)), replay_in_code_p50_ms: round(percentile(inCode, 50)),
      select_p50_ms: round(base),
    },
  }];
}
