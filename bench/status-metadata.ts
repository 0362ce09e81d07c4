import { metadata, task } from "../sdk/index.ts";
import { BLOCK, openInsertProbe } from "./lib/baseline.ts";
import type { Row } from "./lib/row.ts";
import { startBenchEngine } from "./lib/schema.ts";
import { percentile, round } from "./lib/stats.ts";

const CALLS = 1000;

/** Row 3: `status.update` and `metadata.set`, each call timed from inside the run; every 50 calls, 50 raw INSERT commits. */
export default async function statusMetadata(url: string): Promise<Row[]> {
  const status: number[] = [];
  const meta: number[] = [];
  const commits: number[] = [];
  const probe = await openInsertProbe(url);
  const writer = task<{ calls: number; record: boolean }, null>({
    id: "bench-status-metadata",
    run: async ({ calls, record }, { io }) => {
      let handle = await io.createStatus("progress", { label: "starting", state: "loading" });
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        handle = await handle.update(`progress-${i}`, { label: `step ${i}`, data: { done: i, of: calls } });
        const t1 = performance.now();
        await metadata.set("progress", { done: i, of: calls });
        const t2 = performance.now();
        if (record) {
          status.push(t1 - t0);
          meta.push(t2 - t1);
          if (status.length % BLOCK === 0) await probe.block(BLOCK, commits);
        }
      }
      return null;
    },
  });
  const bench = await startBenchEngine(url, "status", { tasks: [writer] });
  try {
    const warm = await writer.trigger({ calls: 30, record: false });
    await bench.finished(warm.id, 60_000);
    const { id } = await writer.trigger({ calls: CALLS, record: true });
    const ended = await bench.finished(id, 120_000);
    if (ended !== "SUCCESS") throw new Error(`status run ended ${ended}`);
  } finally {
    await bench.close();
    await probe.close();
  }
  const commit = { p50: percentile(commits, 50) };
  const s50 = percentile(status, 50);
  const m50 = percentile(meta, 50);
  const row = (id: string, name: string, p50: number, all: number[]): Row => ({
    id,
    row: `${name} overhead, p50`,
    engine: `${round(p50, 3)} ms/call (p99 ${round(percentile(all, 99), 2)})`,
    baseline: `${round(commit.p50, 3)} ms (INSERT commit)`,
    ratio: round(p50 / commit.p50, 2),
    target: "≤ 2× commit",
    met: p50 <= 2 * commit.p50,
    data: { calls: CALLS, p50_ms: round(p50), p99_ms: round(percentile(all, 99)), commit_p50_ms: round(commit.p50) },
  });
  return [row("status_update", "status.update", s50, status), row("metadata_set", "metadata.set", m50, meta)];
}
