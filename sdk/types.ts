export {
  FINAL_RUN_STATUSES,
  isFinalRunStatus,
  JOURNAL_KINDS,
  RUN_STATUSES,
  type FinalRunStatus,
  type JsonValue as Json,
  type JournalEntry,
  type JournalKind,
  type JournalPush,
  type Metadata,
  type MetadataChange,
  type PushedStatus,
  type Run,
  type RunHead,
  type RunStatus,
  type RunStatusView,
  type SerializedError,
  type StatusState,
  type StatusVersion,
} from "../wire/index.ts";
import type { JsonValue as Json, Metadata, Run, RunHead, RunStatus, RunStatusView, SerializedError } from "../wire/index.ts";

export interface RunStatuses {
  /** The run at the moment the statuses were read. */
  run: RunHead & { output: unknown };
  statuses: RunStatusView[];
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
