export const RUN_STATUSES = ["QUEUED", "EXECUTING", "WAITING", "SUCCESS", "FAILURE", "CANCELED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINISHED_STATUSES: readonly RunStatus[] = ["SUCCESS", "FAILURE", "CANCELED"];

export type StatusState = "loading" | "success" | "failure";

/** JSON as stored in metadata: what `JSON.stringify` keeps. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** User-shaped JSON; `any` so that the seed's `run.metadata.user.name` reads without casts. */
export type Metadata = Record<string, any>;

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  details?: Record<string, unknown>;
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
  revision: number;
  /** The run `runs.fork` copied this one from. */
  forkedFrom: string | null;
  /** The occurrence a schedule fired this run for. */
  scheduledFor: Date | null;
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

/** A run as it was when something else was read with it; `revision` is its change counter then. */
export interface RunHead {
  id: string;
  status: RunStatus;
  revision: number;
}

export interface RunStatuses {
  /** The run at the moment the statuses were read. */
  run: RunHead & { output: unknown };
  statuses: RunStatusView[];
}

export interface JournalEntry {
  seq: number;
  kind: string;
  key: string;
  status: "completed" | "failed";
  output: unknown;
  error: SerializedError | null;
  attempts: number;
  startedAt: Date;
  finishedAt: Date;
  revision: number;
}

export interface MetadataChange {
  seq: number;
  op: "trigger" | "set" | "del" | "increment" | "append";
  key: string | null;
  value: Json | undefined;
  metadata: Metadata;
  at: Date;
}

export interface TriggerOptions {
  metadata?: Metadata;
  idempotencyKey?: string;
  /** How long `idempotencyKey` deduplicates: seconds or "30s" / "10m" / "24h"; default forever. */
  idempotencyKeyTTL?: number | string;
  /** A run not started within this (seconds or a duration string) is CANCELED with reason EXPIRED. */
  ttl?: number | string;
  /** Runs sharing a key share the task queue's concurrency limit separately from other keys. */
  concurrencyKey?: string;
  /** Start no earlier than this: seconds, a duration string ("10s", "5m", "1h") or a Date. */
  delay?: number | string | Date;
  tags?: string | string[];
}

export interface ListRunsFilter {
  status?: RunStatus | RunStatus[];
  taskIdentifier?: string;
  tag?: string;
  eventId?: string;
  from?: Date;
  to?: Date;
  metadataKey?: string;
  metadataValue?: string;
  limit?: number;
  cursor?: string;
}

export interface RunList {
  data: Run[];
  nextCursor: string | null;
}

export interface EventRecord {
  id: string;
  name: string;
  payload: unknown;
  createdAt: Date;
}

/** What a finished child run gave back to `batchTriggerAndWait`. */
export type ChildRunResult<TOutput = unknown> =
  | { id: string; ok: true; output: TOutput }
  | { id: string; ok: false; error: SerializedError; status: "FAILURE" | "CANCELED" };

export interface ScheduleRecord {
  id: string;
  task: string;
  cron: string;
  timezone: string;
  payload: unknown;
  deduplicationKey: string;
  /** Declared with `task({ schedule })` rather than created through `schedules.create`. */
  declarative: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateScheduleOptions {
  task: string;
  /** Five fields, or six with seconds first. */
  cron: string;
  /** IANA time zone the cron expression is read in; default UTC. */
  timezone?: string;
  /** Handed to every run this schedule fires, as `payload.payload`. */
  payload?: Json;
  /** Creating again with the same key updates that schedule instead of adding one. */
  deduplicationKey: string;
}

/** The payload of a run fired by a schedule. */
export interface ScheduledPayload<TPayload = Json | undefined> {
  scheduleId: string;
  /** The occurrence this run stands for (not when it started). */
  timestamp: Date;
  timezone: string;
  payload: TPayload;
}
