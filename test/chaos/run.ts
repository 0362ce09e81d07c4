// npm run chaos -- [--runs 1000] [--steps 10] [--workers 3] [--kills N] [--restarts 2] [--concurrency 10] [--timeout 900]
import { parseArgs } from "node:util";
import { DEFAULT_CHAOS, formatReport, runChaos, type ChaosOptions } from "./controller.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    steps: { type: "string" },
    workers: { type: "string" },
    kills: { type: "string" },
    restarts: { type: "string" },
    concurrency: { type: "string" },
    timeout: { type: "string" },
  },
});
const int = (value: string | undefined, fallback: number, name: string) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return n;
};
const options: ChaosOptions = {
  ...DEFAULT_CHAOS,
  runs: int(values.runs, DEFAULT_CHAOS.runs, "runs"),
  steps: int(values.steps, DEFAULT_CHAOS.steps, "steps"),
  workers: Math.max(1, int(values.workers, DEFAULT_CHAOS.workers, "workers")),
  kills: values.kills === undefined ? Infinity : int(values.kills, 0, "kills"),
  restarts: int(values.restarts, DEFAULT_CHAOS.restarts, "restarts"),
  concurrency: Math.max(1, int(values.concurrency, DEFAULT_CHAOS.concurrency, "concurrency")),
  timeoutMs: int(values.timeout, DEFAULT_CHAOS.timeoutMs / 1000, "timeout") * 1000,
  log: (line) => process.stdout.write(`[chaos] ${line}\n`),
};
const report = await runChaos(options);
process.stdout.write(formatReport(options, report) + "\n");
process.exit(report.ok ? 0 : 1);
