import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_CHAOS, formatReport, runChaos, type ChaosOptions } from "./chaos/controller.ts";

describe("chaos (small): worker processes killed with kill -9 and PostgreSQL restarted mid-run", () => {
  it("finishes every run exactly once: all SUCCESS, full journals, no lost step, no duplicate transactional step, each run resumed once from its waitpoint token", async () => {
    const options: ChaosOptions = {
      ...DEFAULT_CHAOS,
      runs: 100,
      kills: 1,
      restarts: 1,
      concurrency: 5,
      // Slower steps than the full run's 1–5 ms, so the kill and the restart land mid-run.
      stepMs: [20, 40],
      killIntervalMs: [500, 1_000],
      timeoutMs: 50_000,
      outDir: path.join(fileURLToPath(new URL("..", import.meta.url)), "test-output", "chaos-test"),
    };
    const report = await runChaos(options);
    const summary = formatReport(options, report);
    expect(report.ok, summary).toBe(true);
    expect(report.kills).toBe(1);
    expect(report.restarts).toBe(1);
    expect(report.figures).toMatchObject({
      statuses: { SUCCESS: 100 },
      runsWithFullJournal: 100,
      missingSideEffects: 0,
      transactionalDuplicates: 0,
      journalMismatches: 0,
      waitpointMismatches: 0,
    });
    expect(report.tokensCompleted).toBeGreaterThan(0);
  }, 90_000);
});
