import type { Definition } from "../../sdk/definition.ts";
import type { RepairPoint } from "../../wire/index.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import { checkRuns, type CheckFilter, type CheckResult, type Divergence } from "./check-runs.ts";

export type { RepairPoint };

export interface RepairPlan {
  points: RepairPoint[];
  /** Failed runs the check could not replay to a decision (no code for the task, or too slow). */
  unchecked: CheckResult[];
}

/**
 * Replays each failed run of the filter against `definitions` (as `durably check`) and finds the
 * first step that would now run differently: its divergence, else its failed step, else the end of
 * its journal. Forking the run from there keeps every step before it and runs the rest anew.
 */
export async function planRepair(db: Database, sql: Statements, definitions: readonly Definition[], filter: CheckFilter): Promise<RepairPlan> {
  const results = (await checkRuns(db, sql, definitions, filter)).filter((r) => r.status === "FAILURE");
  const points: RepairPoint[] = [];
  const unchecked: CheckResult[] = [];
  for (const result of results) {
    if (result.outcome === "diverged" && result.divergence) {
      points.push(pointAt(result, result.divergence));
    } else if (result.outcome === "ok") {
      const { rows } = await db.query<{ seq: number; kind: string; key: string; status: string }>(sql.journal.list, [result.runId]);
      // A cancel marker or hook entry is no call of the code: the code resumes before it.
      const calls = rows.filter((row) => row.kind !== "cancel" && row.kind !== "hook");
      const failed = calls.find((row) => row.status !== "completed");
      const base = { runId: result.runId, taskId: result.taskId, version: result.version, current: null };
      if (failed) points.push({ ...base, fromSeq: failed.seq, reason: "failed-step", recorded: { kind: failed.kind, key: failed.key } });
      else points.push({ ...base, fromSeq: (calls.at(-1)?.seq ?? 0) + 1, reason: "after-journal", recorded: null });
    } else {
      unchecked.push(result);
    }
  }
  return { points, unchecked };
}

function pointAt(result: CheckResult, divergence: Divergence): RepairPoint {
  return {
    runId: result.runId, taskId: result.taskId, version: result.version, fromSeq: divergence.seq,
    reason: "diverged", recorded: divergence.recorded, current: divergence.current,
  };
}
