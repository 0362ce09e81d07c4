import { randomUUID } from "node:crypto";
import { buildStatements } from "../../engine/db/sql/index.ts";
import { connectClient } from "./schema.ts";

/** The engine's lanes, and the runs each lane's batch holds at the throughput row's concurrency. */
const CONNECTIONS = 2;
const BATCH = 16;

/**
 * The throughput row's second baseline: the engine's own journal statement (`journal.writeManyNoClaim`)
 * from a tight loop with none of the engine around it, on `schema`'s tables. Two connections, as
 * the engine's two lanes, each writing batches of 16 io calls for runs of its own, task results
 * and statuses alternating as in the workload. Journal writes per second: what the engine cannot
 * exceed without a cheaper statement.
 */
export async function journalStatementFloor(url: string, schema: string, ms: number): Promise<number> {
  const { journal } = buildStatements(schema);
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectClient(url)));
  try {
    const lanes = await Promise.all(clients.map(async (client, lane) => {
      const runs = Array.from({ length: BATCH }, (_, i) => ({ id: `floor_${lane}_${i}_${randomUUID()}`, lease: randomUUID(), seq: 0 }));
      await client.query(
        `INSERT INTO "${schema}".runs (id, task_id, task_version, payload, status, lease, started_at)
         SELECT r.id, 'bench-floor', '1', '{}', 'EXECUTING', r.lease, now() FROM jsonb_to_recordset($1::jsonb) AS r(id text, lease uuid)`,
        [JSON.stringify(runs)],
      );
      return runs;
    }));
    const batch = (runs: { id: string; lease: string; seq: number }[]) => JSON.stringify(runs.map((run) => {
      const seq = ++run.seq;
      const status = seq % 2 === 0;
      return {
        run_id: run.id, lease: run.lease, seq, kind: status ? "status" : "task", key: `step-${seq}`, status: "completed",
        output: { json: status ? { key: "progress", label: `${seq}`, state: "loading", data: null } : seq },
        error: null, attempts: 1, started_at: new Date(), next_status: null,
      };
    }));
    let writes = 0;
    const t0 = performance.now();
    const deadline = t0 + ms;
    await Promise.all(clients.map(async (client, lane) => {
      const query = { name: "bench_floor_write", text: journal.writeManyNoClaim, values: [] as unknown[] };
      while (performance.now() < deadline) {
        query.values = [batch(lanes[lane]!), `${schema}_floor`, []];
        const { rowCount } = await client.query(query);
        if (rowCount !== BATCH) throw new Error(`the floor's batch landed ${rowCount} of ${BATCH} writes`);
        writes += BATCH;
      }
    }));
    return writes / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}
