import { logger, task } from "../sdk/index.ts";
import { openInsertProbe } from "./lib/baseline.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { percentile, round } from "./lib/stats.ts";

const LINES = 10_000;
const ROUNDS = 3;

/**
 * 10,000 log lines in one run: the time from the first line to the run's end (which waits for
 * every line to be stored) per line, against one raw INSERT commit measured around each round.
 * Also what the run's code itself spends per call.
 */
export default async function runLogs(url: string): Promise<Row[]> {
  const probe = await openInsertProbe(url);
  const starts = new Map<string, number>();
  const callMs: number[] = [];
  const chatty = task<{ lines: number }, null>({
    id: "bench-run-logs",
    run: async ({ lines }, { ctx }) => {
      const t0 = performance.now();
      starts.set(ctx.run.id, performance.timeOrigin + t0);
      for (let i = 0; i < lines; i++) logger.info("processed item", { item: i, of: lines });
      callMs.push((performance.now() - t0) / lines);
      return null;
    },
  });
  const bench = await startBenchEngine(url, "run_logs", { tasks: [chatty] });
  const client = await connectClient(url);
  const perLine: number[] = [];
  const commits: number[] = [];
  try {
    const warm = await chatty.trigger({ lines: 500 });
    await bench.finished(warm.id, 60_000);
    callMs.length = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await probe.block(100, commits);
      const { id } = await chatty.trigger({ lines: LINES });
      if ((await bench.finished(id, 120_000)) !== "SUCCESS") throw new Error("the logging run failed");
      const { rows: [row] } = await client.query<{ finished: Date; lines: number }>(
        `SELECT r.finished_at AS finished, (SELECT count(*)::int FROM "${bench.schema}".run_logs l WHERE l.run_id = r.id) AS lines FROM "${bench.schema}".runs r WHERE r.id = $1`,
        [id],
      );
      if (row!.lines !== LINES) throw new Error(`stored ${row!.lines} lines of ${LINES}`);
      perLine.push((row!.finished.getTime() - starts.get(id)!) / LINES);
      await probe.block(100, commits);
    }
  } finally {
    await client.end();
    await bench.close();
    await probe.close();
  }
  const line = percentile(perLine, 50);
  const commit = percentile(commits, 50);
  return [
    {
      id: "run_logs",
      row: `${LINES} log lines in one run, stored, per line`,
      engine: `${round(line, 4)} ms/line (call ${round(percentile(callMs, 50), 4)} ms)`,
      baseline: `${round(commit, 3)} ms (INSERT commit)`,
      ratio: round(line / commit, 3),
      target: "≤ 0.1× commit",
      met: line <= 0.1 * commit,
      data: { lines: LINES, rounds: ROUNDS, per_line_ms: round(line, 4), call_ms: round(percentile(callMs, 50), 4), commit_p50_ms: round(commit) },
    },
  ];
}
