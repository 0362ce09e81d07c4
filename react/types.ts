/**
 * The shapes of the engine's HTTP API (docs/http-api.md), as the browser sees them.
 * Values that cross the wire are JSON, so they are typed as `JsonValue` rather than
 * `unknown`: that keeps `{run.output && <pre>…</pre>}` a valid React child. A value the
 * engine holds as `undefined` is left out of the JSON, hence the optional fields.
 */

import type * as wire from "../wire/index.ts";
import type { JsonValue, OnTheWire } from "../wire/index.ts";

export {
  FINAL_RUN_STATUSES,
  isFinalRunStatus,
  JOURNAL_KINDS,
  RUN_STATUSES,
  type FinalRunStatus,
  type JournalKind,
  type JsonObject,
  type JsonPrimitive,
  type JsonValue,
  type MetadataOp,
  type RunHead,
  type RunStatus,
  DEFAULT_STREAM_KEY,
  WAITPOINT_STATUSES,
  type WaitpointStatus,
} from "../wire/index.ts";
import type { JsonObject, RunHead, RunStatus } from "../wire/index.ts";

export type RunError = OnTheWire<wire.SerializedError>;
export type Run = OnTheWire<wire.Run<JsonValue, JsonValue>>;
export type RunWait = OnTheWire<wire.RunWait>;
export type StatusVersion = OnTheWire<wire.StatusVersion>;
export type Status = OnTheWire<wire.RunStatusView>;
export type StatusState = Status["state"];
/** A status as pushed on a run's stream: its current version; `history` may be left out. */
export type PushedStatus = OnTheWire<wire.PushedStatus>;
export type JournalEntry = OnTheWire<wire.JournalEntry>;
export type MetadataChange = OnTheWire<wire.MetadataChange>;
export type BulkAction = OnTheWire<wire.BulkAction>;
export type BulkDryRun = wire.BulkDryRun;

export type RepairPoint = wire.RepairPoint;

/** `GET /api/tasks/:id/repair`: the failed runs to fork, and those the engine could not replay. */
export interface RepairPlan {
  points: RepairPoint[];
  unchecked: { runId: string; outcome: string }[];
}

/** `POST /api/bulk-actions`: what to do to every run the filter matches (or to the runs named in `runIds`). */
export interface BulkActionRequest {
  action: wire.BulkActionKind;
  filter: {
    status?: RunStatus[] | undefined;
    taskIdentifier?: string | undefined;
    taskVersion?: string | undefined;
    tag?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    metadataKey?: string | undefined;
    metadataValue?: string | undefined;
    runIds?: string[] | undefined;
  };
  fromSeq?: number | undefined;
  dryRun?: boolean | undefined;
}

/** One stream of a run, as `GET /api/runs/:id/streams` lists it. */
export type StreamInfo = OnTheWire<wire.StreamInfo>;
/** A chunk of a run's stream: `index` from 1 (with gaps where chunks were superseded), `data` as appended. */
export interface StreamPart<T = JsonValue> {
  index: number;
  data: T;
}
export type StreamEnd = OnTheWire<wire.StreamEnd>;
export type StreamSnapshot = OnTheWire<wire.StreamSnapshot>;

/** What the cache holds of a stream a hook follows: its live parts, oldest first, and where to resume. */
export interface StreamData {
  parts: StreamPart[];
  /** The id of the last event taken (`<resets>.<index>`), for a reconnect to resume after. */
  lastEventId: string | null;
  /** Set once the run finished and every chunk was sent. */
  end: StreamEnd | null;
}

/** What the cache holds of every stream of a run (`useRealtimeRunWithStreams`): the keys, in the order the streams appeared. */
export interface StreamKeys {
  keys: string[];
  /** Set once the run finished and every stream had sent its end. */
  end: boolean;
  /**
   * Streams of the run the connection leaves out: it carries the first 32 found, and says how
   * many more there are (`stream-limit`). Absent while none are.
   */
  leftOut?: number;
  /**
   * Those streams by key, as the engine names them. A stream among them that a hook follows by
   * name (`useRealtimeStream`) is asked for beside every stream, and comes on the same connection.
   */
  leftOutKeys?: string[];
}

/** One line a run's code logged, as `GET /api/runs/:id/logs` and the run's stream (`?logs=`) send it. */
export type RunLogLine = OnTheWire<wire.RunLogLine>;

/** The run as the statuses routes describe it. */
export interface RunSummary {
  id: string;
  status: RunStatus;
  output?: JsonValue;
  /** What the run waits on while WAITING on a waitpoint token, else null; not in the contract either. */
  wait?: RunWait | null;
}

/**
 * The answer of `/api/runs/:id/statuses` and `/api/events/:id/statuses`. The contract does
 * not list `revision` on `run`; when the engine sends it, stale pushes are dropped exactly.
 */
export interface RunStatusesSnapshot {
  run: RunSummary & { revision?: number };
  statuses: Status[];
}

export interface RunJournal {
  run: RunHead;
  entries: JournalEntry[];
}

export interface MetadataHistory {
  run: RunHead;
  changes: MetadataChange[];
}

export type RunCounts = Record<RunStatus, number>;

/** A page of `GET /api/runs`, with its counts (wire.RunListCounts) on the first page. */
export interface RunsPage extends wire.RunListCounts {
  data: Run[];
  nextCursor: string | null;
}

export interface RunFilters {
  status?: readonly RunStatus[] | undefined;
  taskIdentifier?: string | undefined;
  tag?: string | undefined;
  eventId?: string | undefined;
  /** ISO date-time; runs created at or after it. */
  from?: string | undefined;
  /** ISO date-time; runs created at or before it. */
  to?: string | undefined;
  metadataKey?: string | undefined;
  metadataValue?: string | undefined;
  /** Page size, at most 100. */
  limit?: number | undefined;
}

export interface DurablyEvent {
  id: string;
  name: string;
  payload: JsonValue;
  createdAt: string;
  runs: Run[];
}

export type TaskInfo = OnTheWire<wire.TaskInfo>;
export type TaskKind = TaskInfo["kind"];

/** What `POST /api/tasks/:id/trigger` takes besides the payload (docs/http-api.md). */
export interface TriggerOptions {
  metadata?: JsonObject | undefined;
  idempotencyKey?: string | undefined;
  /** How long the key holds: seconds or a duration such as "1h". */
  idempotencyKeyTTL?: string | number | undefined;
  /** Passed through as the engine accepts it: seconds, a duration such as "1m", or an ISO date. */
  delay?: string | number | undefined;
  /** A run not started within it is canceled (`EXPIRED`): seconds or a duration such as "10m". */
  ttl?: string | number | undefined;
  tags?: string[] | undefined;
  /** Runs with the same key share their queue's concurrency limit. */
  concurrencyKey?: string | undefined;
  /** Seconds of execution (time WAITING not counted) before the run fails with MAX_DURATION_EXCEEDED. */
  maxDuration?: number | undefined;
  /** A head start in whole seconds over runs that became ready before it (default 0). */
  priority?: number | undefined;
  /** Further triggers with the key return this run and push its start back by `delay`; "trailing" takes their payload. */
  debounce?: { key: string; delay: number | string; mode?: "leading" | "trailing" | undefined } | undefined;
}

export interface TriggerTaskRequest {
  payload: JsonValue;
  options?: TriggerOptions | undefined;
}

export interface SendEventRequest {
  name: string;
  payload: JsonValue;
  id?: string | undefined;
}

export interface SendEventResult {
  id: string;
  runs: string[];
}

export interface RunHandle {
  id: string;
  /** Set when a trigger token started the run: a token that reads this run only (`useRealtimeTaskTrigger` follows it). */
  publicAccessToken?: string | undefined;
}

/** A message pushed on a run's SSE stream (or on `/api/runs/stream`, which only sends `run`). */
export type RunStreamMessage =
  | { type: "run"; revision: number; run: Run }
  | ({ type: "journal"; revision: number } & OnTheWire<wire.JournalPush>)
  /** A change a child run made to this run's metadata (`metadata.parent` / `metadata.root`). */
  | { type: "metadata"; revision: number; change: MetadataChange }
  | { type: "end" };

/** A waitpoint token as `GET /api/waitpoints/tokens/:id` sends it. */
export type WaitpointToken = OnTheWire<wire.WaitpointRecord>;
export type WaitpointsPage = OnTheWire<wire.WaitpointList>;
