import { metadata, task } from "../sdk/index.ts";
import type { Run } from "../sdk/types.ts";
import { newId } from "../engine/ids.ts";
import { partsOf, serviceOf } from "../engine/internal.ts";
import { cpuNow } from "./lib/cpu.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { round } from "./lib/stats.ts";

const SUBSCRIBERS = [10, 100, 1_000];
const RUNS = 200;
/** Changes made to the one run all iterators follow. */
const CHANGES = 50;
/** "Flat": Node's CPU per change with the most subscribers within this factor of the fewest. */
const FLAT = 1.25;

/**
 * What following runs costs: N `runs.subscribeToRun` iterators follow runs that do not move
 * (WAITING), while 200 runs of 3 steps + 3 `metadata.set` execute, each followed by its own
 * iterator to its end. The Node CPU spent per change an iterator receives should not depend on N:
 * a subscriber costs something when its run changes, not when any run does. A second figure puts
 * all N iterators on one parked run changed 50 times: one read per change, fanned out to N.
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
  const measured: { subscribers: number; nodeMs: number; shared: number; delivered: number }[] = [];
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

      // Fan-out: all n iterators follow one parked run while it changes CHANGES times.
      const [shared] = parked;
      const followers = Array.from({ length: n }, () => service.subscribeToRun(shared!));
      await Promise.all(followers.map((it) => it.next()));
      const counted = followers.map(drain);
      const fanBefore = await cpuNow();
      for (let i = 0; i < CHANGES; i++) {
        await client.query(
          `WITH r AS (UPDATE "${bench.schema}".runs SET revision = revision + 1, metadata = jsonb_build_object('i', $2::int) WHERE id = $1 RETURNING id, revision)
           SELECT pg_notify($3, id || ':' || revision) FROM r`,
          [shared, i, partsOf(bench.engine).channels.run],
        );
      }
      await client.query(
        `WITH r AS (UPDATE "${bench.schema}".runs SET status = 'CANCELED', finished_at = now(), revision = revision + 1 WHERE id = $1 RETURNING id, revision)
         SELECT pg_notify($2, id || ':' || revision || ':end') FROM r`,
        [shared, partsOf(bench.engine).channels.run],
      );
      const received = (await Promise.all(counted)).reduce((a, b) => a + b, 0);
      const fanAfter = await cpuNow();
      if (pass > 0) {
        measured.push({ subscribers: n, nodeMs: (after.nodeMs - before.nodeMs) / changes, shared: (fanAfter.nodeMs - fanBefore.nodeMs) / CHANGES, delivered: received / n });
      }
      await Promise.all(idle.slice(1).map((it) => it.return?.()));
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
    note: `all iterators on one run changed ${CHANGES} times, Node CPU ms per change made (the bench's own UPDATEs included; reads coalesce, snapshots each iterator got in brackets): ${measured.map((m) => `${m.subscribers}: ${round(m.shared, 3)} [${round(m.delivered, 1)}]`).join(", ")}`,
  }];
}

/** Takes an iterator's snapshots to its end; how many there were. */
async function drain(iterator: AsyncIterableIterator<Run>): Promise<number> {
  let n = 0;
  for await (const _ of iterator) n += 1;
  return n;
}
