import { runInScope } from "../../sdk/context.ts";
import type { Definition } from "../../sdk/definition.ts";
import { NonDeterminismError, RunNotFoundError, type JournalCall } from "../../sdk/errors.ts";
import type { Database } from "../db/database.ts";
import type { RunRow } from "../db/rows.ts";
import type { Statements } from "../db/sql/index.ts";
import { Execution } from "../journal/execution.ts";
import { recordedCalls, type JournalTuple } from "../journal/recorded-call.ts";
import type { JournalWriter } from "../journal/recorder.ts";
import { createLogger } from "../logger.ts";
import { decode } from "../serialize.ts";
import { runContextOf } from "../worker/run-context.ts";

export interface CheckFilter {
  runId?: string;
  taskId?: string;
  since?: Date;
}

export interface Divergence {
  seq: number;
  recorded: JournalCall | null;
  current: JournalCall | null;
  callSite: string | null;
}

export type CheckOutcome =
  /** Every call the code made matched the journal, up to its end. */
  | "ok"
  | "diverged"
  /** No task or job with this id among the checked entry files. */
  | "skipped"
  /** The code neither returned nor reached the end of its journal in time (it awaits something else). */
  | "timeout";

export interface CheckResult {
  runId: string;
  taskId: string;
  version: string;
  status: RunRow["status"];
  outcome: CheckOutcome;
  divergence?: Divergence;
  /** Set when the replayed code threw something other than a divergence: reported, not a failure. */
  threw?: string;
}

const refuse = (): Promise<never> => Promise.reject(new Error("durably check never writes"));
/** Never called: a replay-only execution stops before any call the journal cannot answer. */
const readOnly: JournalWriter = {
  write: refuse, writeAndHandOff: refuse, writeInTransaction: refuse, writeAncestorMetadata: refuse, suspend: refuse, awaitRuns: refuse, awaitToken: refuse, state: refuse,
};

/**
 * Replays recorded journals against the code in `definitions` without side effects: io calls are
 * answered from the journal only, and the first call beyond it (or diverging from it) ends the
 * replay; past the journal of a run that succeeded, that call is itself a divergence. Picks the
 * task version the worker would: the run's own, else the newest loaded.
 */
export async function checkRuns(
  db: Database, sql: Statements, definitions: readonly Definition[], filter: CheckFilter, options: { timeoutMs?: number } = {},
): Promise<CheckResult[]> {
  const { rows } = await db.query<RunRow & { journal: JournalTuple[] }>(sql.runs.toCheck, [filter.runId ?? null, filter.taskId ?? null, filter.since ?? null]);
  // A mistyped run id must not pass as "0 runs checked"; a run the other filters leave out may.
  if (filter.runId && rows.length === 0 && (await db.query(sql.runs.state, [filter.runId])).rows.length === 0) {
    throw new RunNotFoundError(filter.runId);
  }
  const results: CheckResult[] = [];
  for (const row of rows) {
    const sameId = definitions.filter((d) => d.id === row.task_id);
    const definition = sameId.find((d) => d.version === row.task_version) ?? sameId.at(-1);
    const base = { runId: row.id, taskId: row.task_id, version: row.task_version, status: row.status };
    if (!definition) results.push({ ...base, outcome: "skipped" });
    else results.push({ ...base, ...(await replay(row, definition, options.timeoutMs ?? 5_000)) });
  }
  return results;
}

async function replay(row: RunRow & { journal: JournalTuple[] }, definition: Definition, timeoutMs: number): Promise<Pick<CheckResult, "outcome" | "divergence" | "threw">> {
  const execution = new Execution({
    recorder: readOnly,
    replayOnly: true,
    journalComplete: row.status === "SUCCESS",
    journal: recordedCalls(row.journal),
    metadata: row.metadata,
    maxMetadataBytes: Number.MAX_SAFE_INTEGER,
    maxPayloadBytes: Number.MAX_SAFE_INTEGER,
    logger: createLogger("silent"),
    onWaitScheduled: () => undefined,
    ctx: runContextOf(row),
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<{ type: "timeout" }>((resolve) => (timer = setTimeout(() => resolve({ type: "timeout" }), timeoutMs)));
  const ran = Promise.resolve()
    .then(() => runInScope(execution, () => definition.execute(decode(row.payload), execution)))
    .then(() => ({ type: "returned" as const }), (error: unknown) => ({ type: "threw" as const, error }));
  const outcome = await Promise.race([ran, execution.interrupted, timedOut]);
  clearTimeout(timer);
  if (outcome.type === "returned") execution.checkFullyReplayed();
  const divergence = execution.divergence ?? (outcome.type === "threw" && outcome.error instanceof NonDeterminismError ? outcome.error : undefined);
  if (divergence) {
    return {
      outcome: "diverged",
      divergence: { seq: divergence.seq, recorded: divergence.expected, current: divergence.actual, callSite: divergence.callSite ?? null },
    };
  }
  if (outcome.type === "timeout") return { outcome: "timeout" };
  if (outcome.type === "threw") return { outcome: "ok", threw: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) };
  return { outcome: "ok" };
}
