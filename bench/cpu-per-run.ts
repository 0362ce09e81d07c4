import { readdir, readFile, readlink } from "node:fs/promises";
import { metadata, runs, task } from "../sdk/index.ts";
import { tapQueries } from "./lib/query-tap.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { threeStepTask } from "./lib/three-steps.ts";
import { mapLimit, sleep } from "./lib/stats.ts";

/**
 * `node --import tsx bench/cpu-per-run.ts caller|throughput [runs] [rounds]`: what a run costs in
 * CPU, Node's and that of this process's own PostgreSQL backends (read from /proc, so the database
 * must be local), and in statements, for the caller's workload (1,000 runs triggered one by one
 * with `await`, results awaited with `runs.poll`, concurrency 64) or the throughput one (32
 * triggers at a time, concurrency 32). On a machine shared with other work, runs per second move
 * with the load several times over; CPU per run moves much less, and statements per run not at all.
 */
const [workload = "caller", runsArg = "1000", roundsArg = "3"] = process.argv.slice(2);
if (workload !== "caller" && workload !== "throughput") throw new Error("workload: caller or throughput");
const RUNS = Number(runsArg);
const ROUNDS = Number(roundsArg);
const url = process.env.DATABASE_URL ?? "postgres://root@127.0.0.1:5432/test";

let statements = 0;
let counting = false;
tapQueries(({ app }) => {
  if (counting && app !== "durably-bench") statements++;
});

const work = workload === "throughput" ? threeStepTask("bench-cpu-throughput") : task<{ i: number }, number>({
  id: "bench-cpu-caller",
  run: async ({ i }, { io }) => {
    for (const step of ["one", "two", "three"]) {
      await io.runTask(step, async () => i);
      await metadata.set("step", step);
    }
    return i;
  },
});
const concurrency = workload === "caller" ? 64 : 32;
const bench = await startBenchEngine(url, `cpu_${workload}`, { tasks: [work], concurrency, poolSize: 40 });
const watcher = await connectClient(url);

/** PIDs of the PostgreSQL backends serving this process's connections: theirs is the run's database work. */
async function ownBackends(): Promise<number[]> {
  const sockets = new Set<string>();
  for (const fd of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) sockets.add(inode);
  }
  const ports = new Set<number>();
  for (const table of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    for (const line of (await readFile(table, "utf8")).split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && sockets.has(fields[9]!)) ports.add(parseInt(fields[1]!.split(":")[1]!, 16));
    }
  }
  const { rows } = await watcher.query<{ pid: number; client_port: number }>(
    "SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL AND application_name <> 'durably-bench'",
  );
  return rows.filter((row) => ports.has(row.client_port)).map((row) => row.pid);
}

/** CPU a process has used, in ms (utime + stime, in ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")).split(") ").at(-1)!.split(" ");
  return fields.length > 12 ? (Number(fields[11]) + Number(fields[12])) * 10 : 0;
}

async function round(): Promise<void> {
  if (workload === "caller") {
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) ids.push((await work.trigger({ i })).id);
    const results = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 300_000 })));
    if (results.some((run) => run.status !== "SUCCESS")) throw new Error("a run did not succeed");
  } else {
    await mapLimit(Array.from({ length: RUNS }, (_, i) => i), 32, (i) => work.trigger({ i }));
    for (;;) {
      const { rows: [row] } = await watcher.query<{ done: number }>(`SELECT count(*)::int AS done FROM "${bench.schema}".runs WHERE status = 'SUCCESS'`);
      if (row!.done >= RUNS) break;
      await sleep(20);
    }
  }
}

const clear = () => watcher.query(`DELETE FROM "${bench.schema}".runs`);

try {
  // Warm-up, untimed: prepared statements on every connection, the JIT.
  await round().then(clear);
  await round().then(clear);
  let node = 0;
  let postgres = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const backends = await ownBackends();
    const before = await Promise.all(backends.map(cpuMs));
    const usage = process.cpuUsage();
    const t0 = performance.now();
    counting = true;
    await round();
    counting = false;
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(usage);
    const after = await Promise.all(backends.map(cpuMs));
    await clear();
    const roundNode = (used.user + used.system) / 1000 / RUNS;
    const roundPostgres = after.reduce((sum, ms, i) => sum + ms - before[i]!, 0) / RUNS;
    node += roundNode;
    postgres += roundPostgres;
    console.log(`round ${r + 1}: Node ${roundNode.toFixed(3)} ms/run, PostgreSQL ${roundPostgres.toFixed(3)} ms/run, ${(RUNS / seconds).toFixed(0)} runs/s`);
  }
  console.log(`${workload}: CPU per run ${((node + postgres) / ROUNDS).toFixed(3)} ms (Node ${(node / ROUNDS).toFixed(3)}, PostgreSQL ${(postgres / ROUNDS).toFixed(3)}), ` +
    `${(statements / (RUNS * ROUNDS)).toFixed(2)} statements per run`);
} finally {
  await watcher.end();
  await bench.close();
}
