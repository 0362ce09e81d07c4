/**
 * The shapes of the engine's HTTP API (docs/http-api.md), as the browser sees them.
 * Values that cross the wire are JSON, so they are typed as `JsonValue` rather than
 * `unknown`: that keeps `{run.output && <pre>…</pre>}` a valid React child. A value the
 * engine holds as `undefined` is left out of the JSON, hence the optional fields.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const RUN_STATUSES = ["QUEUED", "EXECUTING", "WAITING", "SUCCESS", "FAILURE", "CANCELED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const FINAL_RUN_STATUSES = ["SUCCESS", "FAILURE", "CANCELED"] as const satisfies readonly RunStatus[];
export type FinalRunStatus = (typeof FINAL_RUN_STATUSES)[number];

export function isFinalRunStatus(status: RunStatus): status is FinalRunStatus {
  return (FINAL_RUN_STATUSES as readonly RunStatus[]).includes(status);
}

export interface RunError {
  name: string;
  message: string;
  stack?: string | null;
  code?: string;
}

export interface Run {
  id: string;
  status: RunStatus;
  taskIdentifier: string;
  taskVersion: string | null;
  eventId: string | null;
  payload: JsonValue;
  output?: JsonValue;
  error: RunError | null;
  metadata: JsonObject;
  tags: string[];
  attempts: number;
  idempotencyKey: string | null;
  parentRunId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  isCompleted: boolean;
  isSuccess: boolean;
  isFailed: boolean;
  /** Grows by one on every change to the run; also the SSE event id. */
  revision: number;
}

export type StatusState = "loading" | "success" | "failure" | null;

export interface StatusVersion {
  label: string;
  state: StatusState;
  data?: JsonObject | null;
  at: string;
}

export interface Status {
  key: string;
  label: string;
  state: StatusState;
  data?: JsonObject | null;
  updatedAt: string;
  /** Earlier versions, oldest first. */
  history: StatusVersion[];
}

/** A status as pushed on a run's stream: its current version; `history` may be left out. */
export type PushedStatus = Omit<Status, "history"> & { history?: StatusVersion[] };

/** The run as the statuses routes describe it. */
export interface RunSummary {
  id: string;
  status: RunStatus;
  output?: JsonValue;
}

/**
 * The answer of `/api/runs/:id/statuses` and `/api/events/:id/statuses`. The contract does
 * not list `revision` on `run`; when the engine sends it, stale pushes are dropped exactly.
 */
export interface RunStatusesSnapshot {
  run: RunSummary & { revision?: number };
  statuses: Status[];
}

export const JOURNAL_KINDS = ["task", "wait", "status", "metadata", "now", "random", "invoke", "waitpoint"] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

export interface JournalEntry {
  seq: number;
  /** One of `JOURNAL_KINDS`, or a kind a newer engine added. */
  kind: JournalKind | (string & {});
  key: string;
  output?: JsonValue;
  error: RunError | null;
  status: "completed" | "failed";
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
  revision: number;
}

/**
 * The run as it was when a snapshot of its journal or metadata history was read with it: the
 * snapshot holds every change up to `revision`, and once `status` is final it is complete.
 */
export interface RunHead {
  id: string;
  status: RunStatus;
  revision: number;
}

export interface RunJournal {
  run: RunHead;
  entries: JournalEntry[];
}

export type MetadataOp = "trigger" | "set" | "del" | "increment" | "append";

export interface MetadataChange {
  seq: number;
  op: MetadataOp;
  key: string | null;
  /** Left out for `del`. */
  value?: JsonValue;
  /** The whole metadata object after the change. */
  metadata: JsonObject;
  at: string;
}

export interface MetadataHistory {
  run: RunHead;
  changes: MetadataChange[];
}

export type RunCounts = Record<RunStatus, number>;

export interface RunsPage {
  data: Run[];
  nextCursor: string | null;
  counts: RunCounts;
}

export interface RunFilters {
  status?: readonly RunStatus[];
  taskIdentifier?: string;
  tag?: string;
  eventId?: string;
  /** ISO date-time; runs created at or after it. */
  from?: string;
  /** ISO date-time; runs created at or before it. */
  to?: string;
  metadataKey?: string;
  metadataValue?: string;
  /** Page size, at most 100. */
  limit?: number;
}

export interface DurablyEvent {
  id: string;
  name: string;
  payload: JsonValue;
  createdAt: string;
  runs: Run[];
}

export type TaskKind = "task" | "job";

export interface TaskInfo {
  id: string;
  version: string | null;
  kind: TaskKind;
  /** The event a v2 job is triggered by; absent for tasks. */
  eventName?: string | null;
}

/** What `POST /api/tasks/:id/trigger` takes besides the payload (docs/http-api.md). */
export interface TriggerOptions {
  metadata?: JsonObject;
  idempotencyKey?: string;
  /** How long the key holds: seconds or a duration such as "1h". */
  idempotencyKeyTTL?: string | number;
  /** Passed through as the engine accepts it: seconds, a duration such as "1m", or an ISO date. */
  delay?: string | number;
  /** A run not started within it is canceled (`EXPIRED`): seconds or a duration such as "10m". */
  ttl?: string | number;
  tags?: string[];
  /** Runs with the same key share their queue's concurrency limit. */
  concurrencyKey?: string;
}

export interface TriggerTaskRequest {
  payload: JsonValue;
  options?: TriggerOptions;
}

export interface SendEventRequest {
  name: string;
  payload: JsonValue;
  id?: string;
}

export interface SendEventResult {
  id: string;
  runs: string[];
}

export interface RunHandle {
  id: string;
}

/** A message pushed on a run's SSE stream (or on `/api/runs/stream`, which only sends `run`). */
export type RunStreamMessage =
  | { type: "run"; revision: number; run: Run }
  | {
      type: "journal";
      revision: number;
      entry: JournalEntry;
      status?: PushedStatus;
      metadata?: JsonObject;
    }
  | { type: "end" };

export const WAITPOINT_STATUSES = ["WAITING", "COMPLETED", "TIMED_OUT"] as const;
export type WaitpointStatus = (typeof WAITPOINT_STATUSES)[number];

/** A waitpoint token as `GET /api/waitpoints/tokens/:id` sends it. */
export interface WaitpointToken {
  id: string;
  status: WaitpointStatus;
  /** What the completion sent; absent while waiting or after a timeout. */
  output?: JsonValue;
  timeoutAt: string | null;
  idempotencyKey: string | null;
  idempotencyKeyExpiresAt: string | null;
  tags: string[];
  /** The runs that waited (or wait) on the token. */
  runs: string[];
  createdAt: string;
  completedAt: string | null;
}

export interface WaitpointsPage {
  data: WaitpointToken[];
  nextCursor: string | null;
}
