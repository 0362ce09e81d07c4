import { metadata, task } from "../sdk/index.ts";
import { newId } from "../engine/ids.ts";
import { partsOf, serviceOf } from "../engine/internal.ts";
import { cpuNow } from "./lib/cpu.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { round } from "./lib/stats.ts";

const WAITERS = [10, 1_000, 10_000];
const RUNS = 500;
/** "Flat": Node's CPU per finished run with the most waiters within this factor of the fewest. */
const FLAT = 1.25;

/**
 * What waiting costs: N `runs.poll` callers wait on runs that do not move (WAITING, with nothing
 * to wake them) while 500 runs of 3 steps + 3 `metadata.set` execute and are polled to their end.
 * The CPU spent per finished run should not depend on N: a waiter should cost something when
 * its run changes, not when any run does. The waiters live in Node, so the target reads Node's
 * CPU; PostgreSQL's is the whole machine's (other work on it shows up there), printed alongside.
 */
export default async function waiters(url: string): Promise<Row[]> {
  const work = task<{ i: number }, number>({
    id: "bench-waited",
    run: async ({ i }, { io }) => {
      for (const step of ["one", "two", "three"]) {
        await io.runTask(step, async () => i);
        await metadata.set("step", step);
      }
      return i;
    },
  });
  const perRun: { waiters: number; nodeMs: number; postgresMs: number | null }[] = [];
  // A first pass, not counted, warms the process up (the JIT): the first measured one read up to
  // 2× the later ones without it.
  for (const [pass, n] of [WAITERS[0]!, ...WAITERS].entries()) {
    const bench = await startBenchEngine(url, "waiters", { tasks: [work], concurrency: 64, poolSize: 20 });
    const client = await connectClient(url);
    try {
      const service = serviceOf(bench.engine);
      const parts = partsOf(bench.engine);
      const warm = await Promise.all(Array.from({ length: 200 }, (_, i) => work.trigger({ i })));
      await Promise.all(warm.map((h) => service.pollRun(h.id, 60_000)));

      const parked = Array.from({ length: n }, () => newId("run"));
      await client.query(
        `INSERT INTO "${bench.schema}".runs (id, task_id, task_version, payload, status) SELECT id, 'bench-parked', '1', '{}', 'WAITING' FROM unnest($1::text[]) AS id`,
        [parked],
      );
      const waiting = parked.map((id) => service.pollRun(id, 600_000));
      // Every waiter has sent its first read by the next turn of the event loop; the pool answers
      // in order, so a read sent after them returns once they have read their runs and sleep.
      await new Promise((resolve) => setImmediate(resolve));
      await service.retrieveRun(warm[0]!.id);

      const before = await cpuNow();
      const handles = await Promise.all(Array.from({ length: RUNS }, (_, i) => work.trigger({ i })));
      const results = await Promise.all(handles.map((h) => service.pollRun(h.id, 120_000)));
      const after = await cpuNow();
      if (results.some((r) => r.status !== "SUCCESS")) throw new Error("a waited run did not succeed");
      // PostgreSQL's CPU is summed over its live processes: one that ended meanwhile makes it meaningless.
      const postgresMs = after.postgresMs === null || before.postgresMs === null ? null : (after.postgresMs - before.postgresMs) / RUNS;
      if (pass > 0) perRun.push({ waiters: n, nodeMs: (after.nodeMs - before.nodeMs) / RUNS, postgresMs: postgresMs !== null && postgresMs >= 0 ? postgresMs : null });

      // Let the parked waiters go: their runs end, as any run's end announces it.
      await client.query(
        `WITH ended AS (
           UPDATE "${bench.schema}".runs SET status = 'CANCELED', finished_at = now(), revision = revision + 1 WHERE id = ANY($1) RETURNING id, revision
         ) SELECT pg_notify($2, string_agg(id || ':' || revision || ':end', ',')) FROM ended GROUP BY (hashtext(id) & 127)`,
        [parked, parts.channels.run],
      );
      await Promise.all(waiting);
    } finally {
      await client.end();
      await bench.close();
    }
  }
  const fewest = perRun[0]!;
  const most = perRun.at(-1)!;
  const ratio = most.nodeMs / fewest.nodeMs;
  return [{
    id: "waiters",
    row: `waiting: Node CPU per finished run of ${RUNS} with ${WAITERS.map((n) => n.toLocaleString("en")).join(" / ")} runs.poll waiters`,
    engine: perRun.map((p) => `${round(p.nodeMs, 2)}`).join(" / ") + " ms",
    baseline: `${round(fewest.nodeMs, 2)} ms (${fewest.waiters} waiters)`,
    ratio: round(ratio, 2),
    target: `flat: ≤ ${FLAT}× from ${fewest.waiters} to ${most.waiters.toLocaleString("en")} waiters`,
    met: ratio <= FLAT,
    data: Object.fromEntries(perRun.flatMap((p) => [
      [`node_ms_per_run_${p.waiters}`, round(p.nodeMs)],
      [`postgres_ms_per_run_${p.waiters}`, p.postgresMs === null ? null : round(p.postgresMs)],
    ])),
    note: `Node / PostgreSQL (all of the machine's) CPU ms per run: ${perRun.map((p) => `${p.waiters} waiters ${round(p.nodeMs, 2)} / ${p.postgresMs === null ? "?" : round(p.postgresMs, 2)}`).join(", ")}`,
  }];
}
