import { metadata, task } from "../sdk/index.ts";
import type { Run } from "../sdk/types.ts";
import { newId } from "../engine/ids.ts";
import { serviceOf } from "../engine/internal.ts";
import { cpuNow } from "./lib/cpu.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { round } from "./lib/stats.ts";

const SUBSCRIBERS = [10, 100, 1_000];
const RUNS = 200;
/** "Flat": Node's CPU per change with the most subscribers within this factor of the fewest. */
const FLAT = 1.25;

/**
 * What following runs costs: N `runs.subscribeToRun` iterators follow runs that do not move
 * (WAITING), while 200 runs of 3 steps + 3 `metadata.set` execute, each followed by its own
 * iterator to its end. The Node CPU spent per change an iterator receives should not depend on N:
 * a subscriber costs something when its run changes, not when any run does. A second figure puts
 * all N iterators on one run and prints its CPU per change, which grows by one iterator's step each.
 */
export default async function subscribers(url: string): Promise<Row[]> {
  const work = task<{ i: number }, number>({
    id: "bench-followed",
    run: async ({ i }, { io }) => {
      for (const step of ["one", "two", "three"]) {
        await io.runTask(step, async () => i);
        await metadata.set("step", step);
      }
      return i;
    },
  });
  const measured: { subscribers: number; nodeMs: number; shared: number }[] = [];
  // The first pass warms the process up (the JIT) and is not counted.
  for (const [pass, n] of [SUBSCRIBERS[0]!, ...SUBSCRIBERS].entries()) {
    const bench = await startBenchEngine(url, "subscribers", { tasks: [work], concurrency: 64, poolSize: 20 });
    const client = await connectClient(url);
    try {
      const service = serviceOf(bench.engine);
      const warm = await Promise.all(Array.from({ length: 100 }, (_, i) => work.trigger({ i })));
      await Promise.all(warm.map((h) => drain(service.subscribeToRun(h.id))));

      const parked = Array.from({ length: n }, () => newId("run"));
      await client.query(
        `INSERT INTO "${bench.schema}".runs (id, task_id, task_version, payload, status) SELECT id, 'bench-parked', '1', '{}', 'WAITING' FROM unnest($1::text[]) AS id`,
        [parked],
      );
      const idle = parked.map((id) => service.subscribeToRun(id));
      // Each parked iterator has its first snapshot: it follows its run and now only waits.
      await Promise.all(idle.map((it) => it.next()));

      const before = await cpuNow();
      const handles = await Promise.all(Array.from({ length: RUNS }, (_, i) => work.trigger({ i })));
      const changes = (await Promise.all(handles.map((h) => drain(service.subscribeToRun(h.id))))).reduce((a, b) => a + b, 0);
      const after = await cpuNow();

      // Fan-out: all n iterators follow one run through its 7 changes or so.
      const one = await work.trigger({ i: 0 });
      const followers = Array.from({ length: n }, () => service.subscribeToRun(one.id));
      const fanBefore = await cpuNow();
      const received = (await Promise.all(followers.map(drain))).reduce((a, b) => a + b, 0);
      const fanAfter = await cpuNow();
      if (pass > 0) {
        measured.push({ subscribers: n, nodeMs: (after.nodeMs - before.nodeMs) / changes, shared: (fanAfter.nodeMs - fanBefore.nodeMs) / (received / n) });
      }
      await Promise.all(idle.map((it) => it.return?.()));
    } finally {
      await client.end();
      await bench.close();
    }
  }
  const fewest = measured[0]!;
  const most = measured.at(-1)!;
  const ratio = most.nodeMs / fewest.nodeMs;
  return [{
    id: "subscribers",
    row: `subscriptions: Node CPU per change received, ${RUNS} followed runs, with ${SUBSCRIBERS.map((n) => n.toLocaleString("en")).join(" / ")} other subscribeToRun iterators`,
    engine: measured.map((m) => `${round(m.nodeMs, 3)}`).join(" / ") + " ms",
    baseline: `${round(fewest.nodeMs, 3)} ms (${fewest.subscribers} iterators)`,
    ratio: round(ratio, 2),
    target: `flat: ≤ ${FLAT}× from ${fewest.subscribers} to ${most.subscribers.toLocaleString("en")} iterators`,
    met: ratio <= FLAT,
    data: Object.fromEntries(measured.flatMap((m) => [
      [`node_ms_per_change_${m.subscribers}`, round(m.nodeMs, 4)],
      [`node_ms_per_change_one_run_${m.subscribers}`, round(m.shared, 4)],
    ])),
    note: `all iterators on one run, Node CPU ms per change (one read, fanned out): ${measured.map((m) => `${m.subscribers}: ${round(m.shared, 3)}`).join(", ")}`,
  }];
}

/** Takes an iterator's snapshots to its end; how many there were. */
async function drain(iterator: AsyncIterableIterator<Run>): Promise<number> {
  let n = 0;
  for await (const _ of iterator) n += 1;
  return n;
}
