import type { Definition } from "../../sdk/definition.ts";
import { MaxDurationExceededError } from "../../sdk/errors.ts";
import type { RunRow } from "../db/rows.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { Execution } from "../journal/execution.ts";
import type { Logger } from "../logger.ts";

export interface ExecutionBudget {
  maxDurationMs: number;
  /** The run had used up its maxDuration before this execution began. */
  spent: boolean;
  /** Settles, with the run's error, when this execution uses up what is left. */
  exceeded: Promise<{ type: "threw"; error: MaxDurationExceededError }>;
  /** Adds this execution's time to the run's and stops the clock. */
  record(): Promise<void>;
}

/**
 * A run's `maxDuration` counts time executing only: each execution adds its own time to the run
 * row when it ends (a suspension, a retry, a hand-back), and the next one gets what is left. Time
 * WAITING or QUEUED lies between executions, so it never counts. An execution lost to a crash
 * adds nothing: the run then gets that time again, never less than it was promised.
 */
export function executionBudget(
  deps: { db: Database; sql: Statements; logger: Logger }, row: RunRow, definition: Definition, execution: Execution,
): ExecutionBudget | undefined {
  const maxDurationMs = row.max_duration_ms ?? definition.maxDurationMs;
  if (maxDurationMs === undefined) return undefined;
  const left = maxDurationMs - Number(row.executed_ms);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const exceeded = new Promise<{ type: "threw"; error: MaxDurationExceededError }>((resolve) => {
    if (left <= 0) return;
    timer = setTimeout(() => {
      const error = new MaxDurationExceededError(maxDurationMs / 1000);
      execution.abort(error);
      resolve({ type: "threw", error });
    }, left);
  });
  return {
    maxDurationMs,
    spent: left <= 0,
    exceeded,
    async record() {
      clearTimeout(timer);
      await deps.db.query(deps.sql.runs.addExecutedTime, [row.id, Date.now() - started, maxDurationMs]).catch((error: Error) => {
        deps.logger.warn("could not add an execution's time to its run", { runId: row.id, error: error.message });
      });
    },
  };
}
