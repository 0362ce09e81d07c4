import { randomUUID } from "node:crypto";
import { runInScope } from "../../sdk/context.ts";
import type { Definition } from "../../sdk/definition.ts";
import { isRetryable, MaxDurationExceededError, NonDeterminismError, RunFailedError } from "../../sdk/errors.ts";
import { retryDelayMs } from "../../sdk/retry.ts";
import type { Database } from "../db/database.ts";
import type { RunRow } from "../db/rows.ts";
import type { Statements } from "../db/sql/index.ts";
import { Execution, exhaustedStepErrors, type Interruption } from "../journal/execution.ts";
import type { LifecycleHooks } from "../../sdk/hooks.ts";
import type { RunStatus, SerializedError } from "../../sdk/types.ts";
import { RunHooks } from "./run-hooks.ts";
import type { BatchedWrites } from "../journal/batched-writes.ts";
import { recordedCalls } from "../journal/recorded-call.ts";
import { Recorder } from "../journal/recorder.ts";
import { withFaultPoints } from "../debug/fault-points.ts";
import { EXPIRED_ERROR, expireRun } from "../orchestration/expire-run.ts";
import { CANCELED_ERROR } from "../orchestration/cancel-run.ts";
import type { ClaimedRow } from "../db/rows.ts";
import { claimRun, withCompleteJournal } from "./claim-run.ts";
import { callCancelHooks, cancelHooksOf } from "./cancel-hooks.ts";
import { runContextOf } from "./run-context.ts";
import { executionBudget } from "./execution-budget.ts";
import type { HeldRuns } from "../notify/held-runs.ts";
import type { Logger } from "../logger.ts";
import type { LogSink } from "../journal/run-log.ts";
import type { Scheduler } from "../jobs/pg-boss.ts";
import type { RunJob, RunJobReason } from "../jobs/job-sender.ts";
import { decode, encode, serializeError } from "../serialize.ts";
import type { StreamWriter } from "../streams/stream-writer.ts";
import type { EngineMetrics } from "../metrics/engine-metrics.ts";
import { RunTracing } from "../tracing/run-tracing.ts";
import type { Alerts } from "../alerts/alerts.ts";

export interface ExecuteDeps {
  db: Database;
  sql: Statements;
  scheduler: Scheduler;
  writes: BatchedWrites;
  /** Stores the lines runs log; without it `io.logger` writes to the engine's logger. */
  logs?: LogSink;
  notifyChannel: string;
  wakeChannel: string;
  logger: Logger;
  maxMetadataBytes: number;
  maxPayloadBytes: number;
  /** Executions in flight by run id, so a cancel heard on the cancel channel reaches them. */
  running: Map<string, Execution>;
  findDefinition(taskId: string, version: string): Definition | undefined;
  /** The engine's lifecycle hooks, called for every run before its task's own. */
  hooks?: LifecycleHooks;
  wakeAt(date: Date): void;
  /** Stores the runs' stream appends. */
  streams: { writer: StreamWriter; maxChunkBytes: number };
  /** Counts runs started and finished and times steps, for `/metrics`. */
  metrics?: EngineMetrics;
  /** Sends the alert webhooks of runs that fail, time out or are canceled. */
  alerts?: Alerts;
  /** The runs held here, for this process's `runs.poll` waiters. */
  held?: HeldRuns;
}

/** How long a run whose queue is full waits before trying for a slot again. */
const QUEUE_FULL_RETRY_MS = 500;
/** How far past the moment its rate limit opens a held-back run tries again, at most. */
const RATE_LIMIT_JITTER_MS = 50;

/** How the worker steers an execution: whether it is stopping, and a call for when the run's code is done. */
export interface ExecutionControl {
  stopping?: () => boolean;
  codeDone?: () => void;
}

/** What to do with the run job: settle it, or hand it back to be retried at once. */
export type JobOutcome = "done" | "give-back";

/** Claims the run behind one job and executes it. */
export async function executeRun(deps: ExecuteDeps, job: RunJob, redelivered: boolean, control: ExecutionControl = {}): Promise<JobOutcome> {
  if (job.reason === "expire") {
    const task = await expireRun(deps, job.runId);
    if (task !== undefined) await ended(deps, { id: job.runId, task_id: task }, "CANCELED", EXPIRED_ERROR);
    return "done";
  }
  if (job.reason === "cancel") {
    const canceled = await cancelHooksOf(deps, job.runId);
    if (canceled) await ended(deps, canceled, "CANCELED", canceled.error);
    return "done";
  }
  const lease = randomUUID();
  const countsAsAttempt = job.reason === "start" || job.reason === "retry" || redelivered ? 1 : 0;
  const claim = await claimRun(deps.db, deps.sql, deps.writes, deps.notifyChannel, {
    runId: job.runId, lease, countsAsAttempt, takeover: redelivered, notifyChannel: deps.notifyChannel, turn: job.reason === "turn",
  });
  if (claim.type === "nothing-to-do") return "done";
  if (claim.type === "deferred") {
    // Its job moves with the run's start; the run is still QUEUED, and its debounce key still pushes it back.
    await deps.scheduler.send(null, { runId: job.runId, reason: job.reason }, claim.until);
    deps.wakeAt(claim.until);
    return "done";
  }
  if (claim.type === "queue-full") {
    // Room for the run first in line, whose own job may be most of a retry interval away: it
    // starts now, through a job of its own (a run only ever executes under a job for it, which
    // hands it over again if its worker dies).
    if (claim.turnOf) {
      await deps.scheduler.send(null, { runId: claim.turnOf, reason: "turn" });
      deps.wakeAt(new Date());
    }
    // The run stays QUEUED and tries again under a new job: when its rate limit opens, or shortly
    // for a free slot; jitter spreads the tries of runs held back together.
    const startAfter = claim.opensAt
      ? new Date(claim.opensAt.getTime() + RATE_LIMIT_JITTER_MS * Math.random())
      : new Date(Date.now() + QUEUE_FULL_RETRY_MS * (1 + Math.random()));
    await deps.scheduler.send(null, { runId: job.runId, reason: job.reason }, startAfter);
    deps.wakeAt(startAfter);
    return "done";
  }
  return executeClaimed(deps, claim.row, lease, job.reason, control);
}

/**
 * Replays and continues the code of a run this execution holds under `lease`, and records how
 * it ended. `reason` is why it was claimed, for a run handed back to wait for its code.
 */
export async function executeClaimed(
  deps: ExecuteDeps, claimed: ClaimedRow, lease: string, reason: RunJobReason, control: ExecutionControl = {},
): Promise<JobOutcome> {
  const row = await withCompleteJournal(deps.db, deps.sql, claimed);
  const definition = deps.findDefinition(row.task_id, row.task_version);
  const recorder = withFaultPoints(new Recorder(deps.db, deps.sql, deps.scheduler, deps.writes, {
    runId: row.id, lease, notifyChannel: deps.notifyChannel, wakeChannel: deps.wakeChannel,
    parentRunId: row.resume_parent ? row.parent_run_id : null,
  }), row.id);
  if (!definition) {
    deps.logger.warn("no code for this run's task in this process; retrying in 5 s", { runId: row.id, task: row.task_id });
    await recorder.release("QUEUED", undefined, null, { reason, startAfter: new Date(Date.now() + 5_000) });
    return "done";
  }
  const tracing = RunTracing.start(row);
  if (!tracing) return executeDefined(deps, row, definition, recorder, reason, control, undefined);
  try {
    return await executeDefined(deps, row, definition, recorder, reason, control, tracing);
  } catch (error) {
    tracing.failed(error);
    throw error;
  } finally {
    tracing.end("crashed");
  }
}

/** `executeClaimed` once the run's code is found; `tracing` ends the attempt's span with how it ended. */
async function executeDefined(
  deps: ExecuteDeps, row: ClaimedRow, definition: Definition, recorder: Recorder, reason: RunJobReason, control: ExecutionControl,
  tracing: RunTracing | undefined,
): Promise<JobOutcome> {
  const logger = deps.logger;
  const execution = new Execution({
    recorder,
    journal: recordedCalls(row.journal),
    metadata: row.metadata,
    maxMetadataBytes: deps.maxMetadataBytes,
    maxPayloadBytes: deps.maxPayloadBytes,
    ...(definition.retry ? { stepRetry: definition.retry } : {}),
    logger,
    logs: deps.logs,
    onWaitScheduled: deps.wakeAt,
    streams: deps.streams,
    ctx: runContextOf(row),
    ...(deps.metrics ? { observeStep: deps.metrics.stepTimer(row.task_id) } : {}),
    tracing,
  });
  // Its first execution: later ones (after a wait, a retry or a crash) have a journal or a higher attempt.
  if (row.attempts <= 1 && row.journal.length === 0) deps.metrics?.runStarted(row.task_id);

  const payload = decode(row.payload);
  const hooks = new RunHooks(deps.hooks ?? {}, definition.hooks, payload, execution, deps.logger);
  /** What to do with the job once the execution stopped without the run's code returning or throwing. */
  const letGo = async (why: Interruption): Promise<JobOutcome> => {
    if (why.type === "crashed") tracing?.failed(why.error);
    tracing?.end(why.type === "abandoned" ? why.reason : why.type);
    if (why.type === "draining") return "give-back";
    if (why.type === "crashed") {
      // A write whose commit landed but whose result was lost may have handed the run on already
      // (a retry or a wait, with a job of its own), ended it, or lost it to another claim. Giving
      // the job back as well would start another execution at once: a retry without its backoff,
      // fenced off later by the run's own job. Only a run this execution still holds goes back.
      const held = await recorder.holdsLease().catch(() => true);
      logger.warn(held ? "database error during run; handing it back" : "database error during run, which had already moved on", {
        runId: row.id, error: why.error.message,
      });
      return held ? "give-back" : "done";
    }
    if (why.type === "abandoned" && why.reason === "canceled") {
      await ended(deps, row, "CANCELED", CANCELED_ERROR);
      await callCancelHooks(deps, row, definition);
    }
    return "done";
  };
  /** Ends the run once its hook is called and recorded; a run the hook's record found gone is left to its holder. */
  const end = async (hook: Promise<boolean>, status: "SUCCESS" | "FAILURE", output: ReturnType<typeof encode> | undefined, error: SerializedError | null) => {
    if (error) tracing?.failed(error);
    tracing?.end(status === "SUCCESS" ? "succeeded" : "failed");
    try {
      if (!(await hook)) return "done" as const;
    } catch (failure) {
      return letGo({ type: "crashed", error: failure as Error });
    }
    // A reader that sees the run finished finds all its lines, and every chunk (appended without awaiting too).
    await execution.logsStored();
    await execution.settleStreams();
    if (await recorder.release(status, output, error)) await ended(deps, row, status, error);
    return "done" as const;
  };

  const budget = executionBudget(deps, row, definition, execution);
  if (budget?.spent) {
    const exceeded = new MaxDurationExceededError(budget.maxDurationMs / 1000);
    return end(hooks.failed(exceeded), "FAILURE", undefined, serializeError(exceeded));
  }
  deps.running.set(row.id, execution);
  // A worker already stopping drains the executions in `running` itself; this one started too late to be among them.
  if (control.stopping?.()) execution.drain();
  const code = () => runInScope(execution, async () => {
    await hooks.start();
    return definition.execute(payload, execution);
  });
  const ran = (tracing ? tracing.inRun(code) : code()).then(
    (value) => ({ type: "returned" as const, value }),
    (error: unknown) => ({ type: "threw" as const, error }),
  );
  const outcome = await Promise.race(budget ? [ran, execution.interrupted, budget.exceeded] : [ran, execution.interrupted]);
  await budget?.record();
  control.codeDone?.();
  if (deps.running.get(row.id) === execution) deps.running.delete(row.id);
  if (outcome.type !== "returned" && outcome.type !== "threw") return letGo(outcome);
  // Metadata writes the code did not await (`metadata.parent.set(…)` as Trigger.dev's examples write it) land before the run ends.
  // Out of time, the budget's own abort has interrupted the execution: that is the timeout, not a reason to let go of the run.
  const timedOut = outcome.type === "threw" && outcome.error instanceof MaxDurationExceededError;
  const stopped = timedOut ? null : await Promise.race([execution.metadataWritten().then(() => null), execution.interrupted]);
  if (stopped) return letGo(stopped);

  if (outcome.type === "returned") execution.checkFullyReplayed();
  const divergence = execution.divergence;
  if (divergence) {
    logger.error("run diverged from its journal", { runId: row.id, seq: divergence.seq });
    return end(hooks.failed(divergence), "FAILURE", undefined, { ...serializeError(divergence), details: divergenceFields(divergence) });
  }
  if (outcome.type === "returned") {
    let output;
    try {
      output = encode(outcome.value, "run output", deps.maxPayloadBytes);
    } catch (error) {
      return end(hooks.failed(error), "FAILURE", undefined, serializeError(error));
    }
    return end(hooks.succeeded(outcome.value), "SUCCESS", output, null);
  }

  const error = outcome.error;
  const retry = definition.retry;
  // A failed child replays as the same failure, so retrying the whole run cannot change it.
  const stepExhausted = error instanceof RunFailedError || (typeof error === "object" && error !== null && exhaustedStepErrors.has(error));
  if (retry && !stepExhausted && isRetryable(error) && row.attempts < retry.maxAttempts) {
    const startAfter = new Date(Date.now() + retryDelayMs(retry, row.attempts));
    tracing?.failed(error);
    tracing?.end("retrying");
    await recorder.release("QUEUED", undefined, serializeError(error), { reason: "retry", startAfter });
    deps.wakeAt(startAfter);
    return "done";
  }
  return end(hooks.failed(error), "FAILURE", undefined, serializeError(error));
}

/** A run this process ended (or saw canceled): counted, and alerted if an alert asks for it. */
async function ended(deps: ExecuteDeps, run: { id: string; task_id: string }, status: RunStatus, error: SerializedError | null): Promise<void> {
  deps.metrics?.runFinished(run.task_id, status);
  await deps.alerts?.runEnded(run, status, error);
}

function divergenceFields(error: NonDeterminismError) {
  return { code: error.code, seq: error.seq, expected: error.expected, actual: error.actual, callSite: error.callSite };
}
