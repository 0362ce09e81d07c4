/**
 * The shapes that cross between the engine, the SDK and the browser, defined once. Each is
 * written as the engine and the SDK hold it (dates as `Date`); `OnTheWire<T>` is the same shape
 * as JSON carries it over HTTP and SSE, which is what `durably/react` hands to components.
 *
 * This module imports nothing: `durably/react` loads it, and must pull no server code with it.
 */

export const RUN_STATUSES = ["QUEUED", "EXECUTING", "WAITING", "SUCCESS", "FAILURE", "CANCELED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A run in one of these has finished for good: nothing runs or changes it any more. */
export const FINAL_RUN_STATUSES = ["SUCCESS", "FAILURE", "CANCELED"] as const satisfies readonly RunStatus[];
export type FinalRunStatus = (typeof FINAL_RUN_STATUSES)[number];

export function isFinalRunStatus(status: RunStatus): status is FinalRunStatus {
  return (FINAL_RUN_STATUSES as readonly RunStatus[]).includes(status);
}

/**
 * Every kind of journal entry the engine writes (test/journal-kinds.test.ts runs a workflow that
 * writes each and fails on one missing here). Calls a run's code made, then `cancel`: a marker
 * for something that happened to the run, and `hook`: a marker for a lifecycle hook called.
 */
export const JOURNAL_KINDS = [
  "task",
  "wait",
  "waitRuns",
  "waitpoint",
  "status",
  "metadata",
  "ancestorMetadata",
  "now",
  "random",
  "patch",
  "trigger",
  "batchTrigger",
  "triggerAndWait",
  "batchTriggerAndWait",
  "sendEvent",
  "cancel",
  "hook",
] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

/** A waitpoint token waits until it is completed or times out, once. */
export const WAITPOINT_STATUSES = ["WAITING", "COMPLETED", "TIMED_OUT"] as const;
export type WaitpointStatus = (typeof WAITPOINT_STATUSES)[number];

export interface WaitpointRecord {
  id: string;
  status: WaitpointStatus;
  /** What the completion sent; undefined while waiting or after a timeout. */
  output: unknown;
  timeoutAt: Date | null;
  idempotencyKey: string | null;
  idempotencyKeyExpiresAt: Date | null;
  tags: string[];
  /** The runs that waited (or wait) on this token, in the order they began. */
  runs: string[];
  createdAt: Date;
  completedAt: Date | null;
}

export interface WaitpointList {
  data: WaitpointRecord[];
  nextCursor: string | null;
}

export type StatusState = "loading" | "success" | "failure";

export type JsonPrimitive = string | number | boolean | null;
/** JSON as `JSON.stringify` keeps it: a metadata value, and whatever the HTTP API sends. */
export type Json = JsonPrimitive | Json[] | { [key: string]: Json };
/** `Json` under the name durably/react gives it. */
export type JsonValue = Json;
export type JsonObject = { [key: string]: Json };

/** User-shaped JSON; `any` so that the seed's `run.metadata.user.name` reads without casts. */
export type Metadata = Record<string, any>;

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  details?: Record<string, unknown>;
}

/**
 * What a WAITING run waits on, for a page to show it (and, for a waitpoint, to complete it).
 * Read from the tokens the run registered on that still wait, so a completion (or timeout)
 * clears it together with the run's resume.
 */
export interface RunWait {
  kind: "waitpoint";
  waitpointId: string;
  /** When the token times out and the run resumes without its output; null for never. */
  timeoutAt: Date | null;
}

export interface Run<TPayload = unknown, TOutput = unknown> {
  id: string;
  status: RunStatus;
  taskIdentifier: string;
  taskVersion: string;
  eventId: string | null;
  parentRunId: string | null;
  payload: TPayload;
  output: TOutput | undefined;
  error: SerializedError | null;
  metadata: Metadata;
  tags: string[];
  attempts: number;
  idempotencyKey: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  isCompleted: boolean;
  isSuccess: boolean;
  isFailed: boolean;
  /** The status as Trigger.dev's run flags have it: QUEUED, EXECUTING, WAITING, CANCELED. */
  isQueued: boolean;
  isExecuting: boolean;
  isWaiting: boolean;
  isCancelled: boolean;
  /** Grows by one on every change to the run; also the SSE event id. */
  revision: number;
  /** The run `runs.fork` copied this one from. */
  forkedFrom: string | null;
  /** The occurrence a schedule fired this run for. */
  scheduledFor: Date | null;
  /**
   * Seconds of execution the run may take (`maxDuration`): its trigger's from the start, its
   * task's once an execution of it has ended; null for none.
   */
  maxDuration: number | null;
  /** The trigger's `priority`: seconds ahead of runs that became ready before it; 0 for none. */
  priority: number;
  /** Set while the run is WAITING on a waitpoint token; null otherwise. */
  wait: RunWait | null;
}

/** A task or v2 job some engine registered, at its latest version. */
export interface TaskInfo {
  id: string;
  version: string;
  kind: "task" | "job";
  /** The event a v2 job is triggered by; null for tasks. */
  eventName: string | null;
}

/**
 * The run as it was when something else was read with it: that snapshot holds every change up
 * to `revision`, and once `status` is final it is complete.
 */
export interface RunHead {
  id: string;
  status: RunStatus;
  revision: number;
}

export interface JournalEntry {
  seq: number;
  /** One of `JOURNAL_KINDS`, or a kind a newer engine added. */
  kind: JournalKind | (string & {});
  key: string;
  status: "completed" | "failed";
  output: unknown;
  error: SerializedError | null;
  attempts: number;
  startedAt: Date;
  finishedAt: Date;
  revision: number;
  /** A step's `timeout` (`io.runTask(key, fn, { timeout })`) in ms; null for an entry without one. */
  timeoutMs: number | null;
}

export interface StatusVersion {
  label: string;
  state: StatusState | null;
  data: Record<string, unknown> | undefined;
  at: Date;
}

export interface RunStatusView {
  key: string;
  label: string;
  state: StatusState | null;
  data: Record<string, unknown> | undefined;
  updatedAt: Date;
  /** Every earlier version of this status, oldest first. */
  history: StatusVersion[];
}

export type MetadataOp = "trigger" | "set" | "del" | "increment" | "append" | "remove";

export interface MetadataChange {
  /**
   * The journal seq of the run's own change; for a change a child run made (`childRunId`), which
   * has no place in this run's journal, minus the run's revision at it.
   */
  seq: number;
  op: MetadataOp;
  key: string | null;
  /** Left out for `del`. */
  value: Json | undefined;
  /** The whole metadata object after the change. */
  metadata: Metadata;
  at: Date;
  /** The descendant run whose `metadata.parent` / `metadata.root` made the change; left out for the run's own. */
  childRunId?: string;
}

/**
 * The data of a `metadata` event on a run's SSE stream: a change a child run made to this run's
 * metadata (`metadata.parent` / `metadata.root`). It changed the run's metadata, `updatedAt`
 * (to the change's `at`) and revision, and nothing else.
 */
export interface MetadataPush {
  change: MetadataChange;
  revision: number;
}

/** A status as pushed on a run's stream: its current version; `history` may be left out. */
export type PushedStatus = Omit<RunStatusView, "history"> & { history?: StatusVersion[] };

/**
 * The data of a `journal` event on a run's SSE stream: the entry, and the status or metadata it
 * changed, so a subscriber updates them without reading them again.
 */
export interface JournalPush {
  entry: JournalEntry;
  status?: PushedStatus;
  metadata?: Metadata;
}

/** The stream `streams.append(chunk)` and `streams.pipe(source)` write to when given no key. */
export const DEFAULT_STREAM_KEY = "default";

const STREAM_KEY = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * The one rule for stream keys, here so that the engine and the browser apply the same: a key is
 * a path segment of the HTTP API, 1 to 100 letters, digits or `_ . : -`.
 */
export function isStreamKey(key: unknown): key is string {
  return typeof key === "string" && STREAM_KEY.test(key);
}

/** Why `key` is refused, in the same words wherever it is checked. */
export function invalidStreamKeyMessage(key: unknown): string {
  return `A stream key is 1 to 100 letters, digits or "_ . : -"; got ${JSON.stringify(key)}`;
}

/** One stream of a run, as `GET /api/runs/:id/streams` lists it. */
export interface StreamInfo {
  key: string;
  /** The highest chunk index given out (0: none yet); superseded chunks leave gaps below it. */
  lastIndex: number;
  /** Live (not superseded) chunks, and their bytes as JSON text. */
  chunks: number;
  bytes: number;
  /** How many times chunks of this stream were superseded. */
  resets: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface StreamChunk<T = Json> {
  /** From 1, growing in commit order. */
  index: number;
  data: T;
}

/** A page of a stream's live chunks, read in one snapshot with its run. */
export interface StreamSnapshot<T = Json> {
  runId: string;
  key: string;
  chunks: StreamChunk<T>[];
  lastIndex: number;
  resets: number;
  /** More chunks follow: read again with `after` the last chunk's index. */
  hasMore: boolean;
  /** Final `status`: the stream is complete. */
  run: RunHead;
}

/** The data of a `reset` event: drop every chunk with index ≥ `fromIndex`; the live ones from there follow. */
export interface StreamReset {
  fromIndex: number;
  resets: number;
}

/** The data of an `end` event: the run finished and every chunk was sent. */
export interface StreamEnd {
  runId: string;
  key: string;
  status: FinalRunStatus;
  lastIndex: number;
}

/**
 * Left-out streams that one run connection's `stream-limit` events name, in all: past them they
 * only count. Nothing bounds how many streams a run writes, and naming thousands would make each
 * connection's first event, and a page listing them, as large.
 */
export const MAX_NAMED_LEFT_OUT = 100;

/**
 * The data of a `stream-limit` event on a run connection carrying every stream (`?streams=*`): it
 * carries the first `limit` found, and a look that found more says so.
 */
export interface StreamLimit {
  limit: number;
  /** How many streams the run has, as found so far. */
  streams: number;
  /**
   * The streams this look found past the limit (each named once a connection, `MAX_NAMED_LEFT_OUT`
   * at most in all; past those only `streams` counts them): name them beside `*` (`?streams=*,key`)
   * to have them carried too.
   */
  leftOut: string[];
}

/** What following a stream yields, in the order its SSE route sends the events of the same names. */
export type StreamEvent<T = Json> =
  | ({ type: "chunk" } & StreamChunk<T>)
  | ({ type: "reset" } & StreamReset)
  | ({ type: "end" } & StreamEnd);


/** What `runs.bulk.*` does to each run its filter matches. */
export const BULK_ACTION_KINDS = ["retry", "cancel", "replay", "fork"] as const;
export type BulkActionKind = (typeof BULK_ACTION_KINDS)[number];

/** Where a failed run would first run differently under the current code, and so where to fork it from. */
export interface RepairPoint {
  runId: string;
  taskId: string;
  version: string;
  fromSeq: number;
  /**
   * `diverged`: the code now makes another call at `fromSeq` than the journal holds;
   * `failed-step`: the calls match and the step at `fromSeq` failed, so it runs again;
   * `after-journal`: every recorded call matches and succeeded: the code after them runs again.
   */
  reason: "diverged" | "failed-step" | "after-journal";
  /** The recorded call at `fromSeq`, if any. */
  recorded: { kind: string; key: string } | null;
  /** With `diverged`: what the code calls there now. */
  current: { kind: string; key: string } | null;
}

/**
 * A bulk action and its progress: the runs its filter matched when it was made (`total`), and
 * how many were acted on so far. A run it could not act on (a retry of a run that succeeded)
 * counts as failed.
 */
export interface BulkAction {
  id: string;
  action: BulkActionKind;
  /** RUNNING until every run has been acted on (by this process or, after a crash, another). */
  status: "RUNNING" | "COMPLETED";
  total: number;
  succeeded: number;
  failed: number;
  createdAt: Date;
  finishedAt: Date | null;
}

/** What a dry run of a bulk action found: the runs it would act on, acting on none. */
export interface BulkDryRun {
  action: BulkActionKind;
  dryRun: true;
  count: number;
}

/**
 * `T` as JSON carries it: dates become ISO strings, values typed `unknown` become `Json`
 * (so `{run.output && <pre>…</pre>}` stays a valid React child), and a field that may be
 * `undefined` becomes optional, since JSON leaves it out.
 */
export type OnTheWire<T> = T extends Date
  ? string
  : unknown extends T
    ? Json
    : T extends JsonPrimitive
      ? T
      : T extends readonly (infer U)[]
        ? OnTheWire<U>[]
        : T extends object
          ? string extends keyof T
            ? { [key: string]: OnTheWire<T[string & keyof T]> }
            : Flat<
                { [K in keyof T as undefined extends T[K] ? never : K]: OnTheWire<T[K]> } & {
                  [K in keyof T as undefined extends T[K] ? K : never]?: OnTheWire<Exclude<T[K], undefined>>;
                }
              >
          : T;

/** One object type rather than an intersection, so editors show the fields. */
type Flat<T> = { [K in keyof T]: T[K] };

/** The levels of a line a run's code logged; `log` is v3 `logger.log`'s own. */
export const RUN_LOG_LEVELS = ["debug", "log", "info", "warn", "error"] as const;
export type RunLogLevel = (typeof RUN_LOG_LEVELS)[number];

/** One line a run's code logged (`io.logger`, `logger`, or `console` when the engine captures it). */
export interface RunLogLine {
  /** Orders a run's lines as they were written; a reader's cursor. */
  id: string;
  /** The journal position the line belongs to: the io call made last before it (0: none yet), or the step it was logged in. */
  seq: number;
  /** The step attempt that logged it; 0 outside a step. */
  attempt: number;
  level: RunLogLevel;
  message: string;
  fields: Record<string, Json> | null;
  at: Date;
}

export interface RunLogPage {
  data: RunLogLine[];
  /** Pass as `cursor` for the lines after these; null when there were no more. */
  nextCursor: string | null;
}

/**
 * Runs per status for a run list's filter, its status filter left out (`GET /api/runs`, first
 * page; null counts after a cursor, the same list further down). A count is exact unless its
 * status is listed: in `estimatedCounts`, PostgreSQL's estimate from the status column's
 * statistics (given with no filter but status; shown "~850,000"); in `countsAtLeast`, a lower
 * bound, where counting stopped at a cap rather than read every run (shown "1,000+").
 */
export interface RunListCounts {
  counts: Record<RunStatus, number> | null;
  estimatedCounts: RunStatus[];
  countsAtLeast: RunStatus[];
}

/** A task as the dashboard's Tasks page shows it: what is deployed and how its recent runs went. */
export interface TaskOverview {
  id: string;
  kind: "task" | "job";
  eventName: string | null;
  /** Every version an engine registered, newest first. */
  versions: string[];
  /** The newest version's queue and concurrency limit (null: none). */
  queue: string | null;
  concurrencyLimit: number | null;
  /** The queue's rate limit, with how many of its runs started in the period up to now. */
  rateLimit: { limit: number; periodMs: number; startedInPeriod: number } | null;
  /** Runs of the task QUEUED now, and the highest priority among them (null: none above 0). */
  queued: number;
  topPriority: number | null;
  /** Runs created in the window, by their status now. */
  counts: Record<RunStatus, number>;
  /** Durations of the window's finished runs, ms; null with none. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** Runs created in each twelfth of the window, oldest first. */
  buckets: number[];
}

export interface TasksOverview {
  /** The window's start: an hour before the answer. */
  since: Date;
  data: TaskOverview[];
}

/** One version of a run's audit trail (docs/audit.md) as an auditor receives it, with the hash that chains it. */
export interface AuditVersion {
  table: "journal" | "run_metadata_history";
  seq: number;
  revision: number | null;
  at: string;
  kind: "status" | "metadata";
  key: string | null;
  /** A status entry's state (`completed`); null for metadata. */
  status: string | null;
  /** A status: the status as it became; metadata: the value the change set. */
  value: Json | null;
  /** A metadata change's operation (`set`, `increment`, `trigger`…). */
  op: string | null;
  /** The whole metadata after a change. */
  metadata: Json | null;
  childRunId: string | null;
  /** Hex; null for a version written before the audit chain existed. */
  hash: string | null;
}

/** A run's full status and metadata history in chain order (`durably audit export`). */
export interface AuditHistory {
  runId: string;
  /** The run's chain head (hex): the last version's hash, a commitment to the whole history. */
  head: string | null;
  /** A fork's chain starts from its origin's hash at the fork point: that run and hash (hex). */
  origin: { runId: string; hash: string } | null;
  versions: AuditVersion[];
}

/** The first link of a run's audit chain that does not hold. */
export interface AuditBrokenLink {
  runId: string;
  /** `journal` (a status), `run_metadata_history` (a metadata change), or `runs` (the chain head, or a fork's link to its origin). */
  table: "journal" | "run_metadata_history" | "runs";
  /** The version's journal position; for the head, the last version's (null when there is none). */
  seq: number | null;
  reason: string;
}

/** What `durably audit verify` found. */
export interface AuditVerifyResult {
  runs: number;
  /** Versions whose hashes were checked. */
  verified: number;
  /** Versions written before the audit chain existed (migration 28), which no hash covers. */
  unhashed: number;
  broken: AuditBrokenLink | null;
}
