import type { SerializedError } from "./types.ts";

/** Base of every error durably throws; `code` is stable and safe to match on. */
export class DurablyError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Thrown by a run's code (or a step's) to fail the run at once, with this message, however many
 * attempts its retry policy has left: Trigger.dev's `AbortTaskRunError`.
 */
export class AbortTaskRunError extends DurablyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ABORT_TASK_RUN", message, options);
  }
}

/**
 * Codes of errors that are the caller's fault: the same call fails the same way on every attempt,
 * so retrying only delays the failure. Not-found errors are left out: a row another process is
 * committing (or a replica has not caught up with) can be there on the next attempt.
 */
const NOT_RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "ABORT_TASK_RUN", "METADATA_TOO_LARGE", "INVALID_PAYLOAD", "NON_DETERMINISM", "DUPLICATE_TASK", "OUTSIDE_RUN",
  "NOT_CONFIGURED", "INVALID_OPTIONS", "WAITPOINT_COMPLETED", "MAX_DURATION_EXCEEDED",
  "STREAM_CHUNK_TOO_LARGE", "STREAM_TOO_LARGE",
]);

/** False for an error no retry can cure: it fails its step, and its run, at once. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof DurablyError && NOT_RETRYABLE_CODES.has(error.code));
}

export interface JournalCall {
  kind: string;
  key: string;
}

/** The code called something other than what the journal recorded at this position. */
export class NonDeterminismError extends DurablyError {
  readonly runId: string;
  readonly seq: number;
  readonly expected: JournalCall | null;
  readonly actual: JournalCall | null;
  readonly callSite: string | undefined;
  constructor(args: { runId: string; seq: number; expected: JournalCall | null; actual: JournalCall | null; callSite?: string }) {
    const show = (c: JournalCall | null) => (c ? `${c.kind}("${c.key}")` : "nothing");
    super(
      "NON_DETERMINISM",
      `Run ${args.runId} diverged from its journal at seq ${args.seq}: recorded ${show(args.expected)}, code called ${show(args.actual)}` +
        (args.callSite ? ` at ${args.callSite}` : ""),
    );
    this.runId = args.runId;
    this.seq = args.seq;
    this.expected = args.expected;
    this.actual = args.actual;
    this.callSite = args.callSite;
  }
}

export class MetadataTooLargeError extends DurablyError {
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super("METADATA_TOO_LARGE", `Metadata is ${size} bytes, over the limit of ${limit} bytes`);
    this.size = size;
    this.limit = limit;
  }
}

/** One chunk appended to a stream is over the engine's `streams.maxChunkBytes` (its JSON text); nothing was stored. */
export class StreamChunkTooLargeError extends DurablyError {
  readonly key: string;
  readonly size: number;
  readonly limit: number;
  constructor(key: string, size: number, limit: number) {
    super("STREAM_CHUNK_TOO_LARGE", `A chunk of ${size} bytes appended to stream "${key}" is over the limit of ${limit} bytes per chunk`);
    this.key = key;
    this.size = size;
    this.limit = limit;
  }
}

/** The chunk would take a stream over the engine's `streams.maxStreamBytes`; nothing was stored. */
export class StreamTooLargeError extends DurablyError {
  readonly key: string;
  readonly limit: number;
  constructor(key: string, limit: number) {
    super("STREAM_TOO_LARGE", `Stream "${key}" would go over its limit of ${limit} bytes: the chunk was not stored`);
    this.key = key;
    this.limit = limit;
  }
}

/**
 * A stream being read dropped chunks the reader had already been given (a step attempt that
 * appended them failed): read again from `fromIndex`, or pass `onReset` to `streams.read`.
 */
export class StreamResetError extends DurablyError {
  readonly runId: string;
  readonly key: string;
  readonly fromIndex: number;
  constructor(runId: string, key: string, fromIndex: number) {
    super("STREAM_RESET", `Stream "${key}" of run ${runId} dropped its chunks from index ${fromIndex} on (a step attempt that appended them failed)`);
    this.runId = runId;
    this.key = key;
    this.fromIndex = fromIndex;
  }
}

export class InvalidPayloadError extends DurablyError {
  readonly issues: unknown;
  constructor(message: string, issues?: unknown, options?: { cause?: unknown }) {
    super("INVALID_PAYLOAD", message, options);
    this.issues = issues;
  }
}

export class RunNotFoundError extends DurablyError {
  readonly runId: string;
  constructor(runId: string) {
    super("RUN_NOT_FOUND", `No run with id "${runId}"`);
    this.runId = runId;
  }
}

export class EventNotFoundError extends DurablyError {
  readonly eventId: string;
  constructor(eventId: string) {
    super("EVENT_NOT_FOUND", `No event with id "${eventId}"`);
    this.eventId = eventId;
  }
}

export class TaskNotFoundError extends DurablyError {
  readonly taskId: string;
  constructor(taskId: string) {
    super("TASK_NOT_FOUND", `No task or job with id "${taskId}" is registered`);
    this.taskId = taskId;
  }
}

/** Two different definitions share an id and version: only one of them could ever run. */
export class DuplicateTaskError extends DurablyError {
  readonly taskId: string;
  readonly version: string;
  constructor(taskId: string, version: string) {
    super("DUPLICATE_TASK", `Two different tasks or jobs are defined with id "${taskId}" (version ${version}): give each its own id`);
    this.taskId = taskId;
    this.version = version;
  }
}

export class InvalidRunStateError extends DurablyError {
  constructor(message: string) {
    super("INVALID_RUN_STATE", message);
  }
}

export class OutsideRunError extends DurablyError {
  constructor(what: string) {
    super("OUTSIDE_RUN", `${what} can only be called inside a run`);
  }
}

export class NotConfiguredError extends DurablyError {
  /** `engine`: said to `createEngine()`, which is itself the engine and needs a database. */
  constructor(to: "client" | "engine" = "client") {
    super(
      "NOT_CONFIGURED",
      to === "engine"
        ? "durably has no database: pass databaseUrl to createEngine() or set DATABASE_URL"
        : "durably has no backend: configure({ databaseUrl }) or set DATABASE_URL, configure({ baseUrl, secretKey }) to reach an engine over HTTP, or start an engine in this process",
    );
  }
}

/** PostgreSQL did not answer: the connection was refused, the host is unknown, or it timed out. */
export class DatabaseUnreachableError extends DurablyError {
  constructor(message: string, options: { cause: unknown }) {
    super("DATABASE_UNREACHABLE", message, options);
  }
}

/** The schema lacks durably's tables, or holds older ones than this code needs: `durably migrate` installs them. */
export class DatabaseNotMigratedError extends DurablyError {
  readonly schema: string;
  /** The latest migration applied, 0 for none. */
  readonly version: number;
  readonly required: number;
  /** `problem` says what is missing, e.g. `Schema "durably" at db:5432 has no durably tables`. */
  constructor(args: { schema: string; version: number; required: number; problem: string }) {
    super("DATABASE_NOT_MIGRATED", `${args.problem}: run \`durably migrate\` against this database (or start an engine on it once)`);
    this.schema = args.schema;
    this.version = args.version;
    this.required = args.required;
  }
}

/** The engine's HTTP API (`configure({ baseUrl })`) did not answer. */
export class EngineUnreachableError extends DurablyError {
  readonly baseUrl: string;
  constructor(baseUrl: string, reason: string, options: { cause: unknown }) {
    super("ENGINE_UNREACHABLE", `Cannot reach the durably engine at ${baseUrl}: ${reason}. Is it running, and is baseUrl right?`, options);
    this.baseUrl = baseUrl;
  }
}

export class TimeoutError extends DurablyError {
  constructor(message: string) {
    super("TIMEOUT", message);
  }
}

/** The run executed for longer than its `maxDuration` (time spent waiting not counted). */
export class MaxDurationExceededError extends DurablyError {
  readonly maxDurationSeconds: number;
  constructor(maxDurationSeconds: number) {
    super("MAX_DURATION_EXCEEDED", `Run exceeded its maxDuration of ${maxDurationSeconds} s of execution`);
    this.maxDurationSeconds = maxDurationSeconds;
  }
}

/** A child run awaited with `triggerAndWait` failed or was canceled; `error` is the child's own error. */
export class RunFailedError extends DurablyError {
  readonly runId: string;
  readonly status: "FAILURE" | "CANCELED";
  readonly error: SerializedError;
  constructor(runId: string, status: "FAILURE" | "CANCELED", error: SerializedError) {
    super("RUN_FAILED", `Child run ${runId} ended ${status}: ${error.message}`);
    this.runId = runId;
    this.status = status;
    this.error = error;
  }
}

export class ScheduleNotFoundError extends DurablyError {
  readonly scheduleId: string;
  constructor(scheduleId: string) {
    super("SCHEDULE_NOT_FOUND", `No schedule with id "${scheduleId}"`);
    this.scheduleId = scheduleId;
  }
}

export class WaitpointNotFoundError extends DurablyError {
  readonly waitpointId: string;
  constructor(waitpointId: string) {
    super("WAITPOINT_NOT_FOUND", `No waitpoint token with id "${waitpointId}"`);
    this.waitpointId = waitpointId;
  }
}

/** A waitpoint completes once: a completion after the first (or after its timeout) changes nothing. */
export class WaitpointCompletedError extends DurablyError {
  readonly waitpointId: string;
  readonly status: "COMPLETED" | "TIMED_OUT";
  constructor(waitpointId: string, status: "COMPLETED" | "TIMED_OUT") {
    super("WAITPOINT_COMPLETED", `Waitpoint ${waitpointId} is already ${status}: the first completion wins, this one changed nothing`);
    this.waitpointId = waitpointId;
    this.status = status;
  }
}

/** What `wait.forToken` gives back (and `unwrap()` throws) when the token timed out. */
export class WaitpointTimeoutError extends DurablyError {
  readonly waitpointId: string;
  constructor(waitpointId: string) {
    super("WAITPOINT_TIMED_OUT", `Waitpoint ${waitpointId} timed out before it was completed`);
    this.waitpointId = waitpointId;
  }
}
