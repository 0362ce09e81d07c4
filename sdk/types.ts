export {
  type AuditBrokenLink,
  type AuditHistory,
  type AuditVerifyResult,
  type AuditVersion,
  BULK_ACTION_KINDS,
  type BulkAction,
  type BulkActionKind,
  type BulkDryRun,
  FINAL_RUN_STATUSES,
  isFinalRunStatus,
  JOURNAL_KINDS,
  RUN_STATUSES,
  type FinalRunStatus,
  type Json,
  type JournalEntry,
  type JournalKind,
  type JournalPush,
  type Metadata,
  type MetadataChange,
  type MetadataPush,
  type PushedStatus,
  type Run,
  type RunHead,
  type RunStatus,
  type RunStatusView,
  type RunWait,
  type SerializedError,
  type StatusState,
  type StatusVersion,
  DEFAULT_STREAM_KEY,
  type StreamChunk,
  type StreamEnd,
  type StreamEvent,
  type StreamInfo,
  type StreamReset,
  type StreamSnapshot,
  WAITPOINT_STATUSES,
  type WaitpointList,
  type WaitpointRecord,
  type TaskInfo,
  type WaitpointStatus,
} from "../wire/index.ts";
import type { FinalRunStatus, Json, Metadata, Run, RunHead, RunStatus, RunStatusView, SerializedError, WaitpointStatus } from "../wire/index.ts";

export interface RunStatuses {
  /** The run at the moment the statuses were read. */
  run: RunHead & Pick<Run, "output" | "wait">;
  statuses: RunStatusView[];
}

export interface TriggerOptions {
  metadata?: Metadata | undefined;
  idempotencyKey?: string | undefined;
  /** How long `idempotencyKey` deduplicates: seconds or "30s" / "10m" / "24h"; default forever. */
  idempotencyKeyTTL?: number | string | undefined;
  /** A run not started within this (seconds or a duration string) is CANCELED with reason EXPIRED. */
  ttl?: number | string | undefined;
  /** Runs sharing a key share the task queue's concurrency limit separately from other keys. */
  concurrencyKey?: string | undefined;
  /** Start no earlier than this: seconds, a duration string ("10s", "5m", "1h") or a Date. */
  delay?: number | string | Date | undefined;
  tags?: string | string[] | undefined;
  /**
   * Fail the run with `MAX_DURATION_EXCEEDED` once it has spent this many seconds executing, over
   * all its executions; time spent WAITING or QUEUED does not count. Overrides the task's.
   */
  maxDuration?: number | undefined;
  /**
   * A head start in seconds, as in Trigger.dev: the run starts before runs that became ready up
   * to this many seconds before it (a whole number, default 0; equal priorities keep their order).
   */
  priority?: number | undefined;
  /**
   * Trigger.dev 4.3's debounce: further triggers with the same key (per task) while the run has not
   * started return that run and push its start back to `delay` from now (seconds or "5s"), for at
   * most 10 minutes after the first; "trailing" gives it each later trigger's payload, "leading"
   * (the default) keeps the first.
   */
  debounce?: { key: string; delay: number | string; mode?: "leading" | "trailing" | undefined } | undefined;
}

export interface ListRunsFilter {
  status?: RunStatus | RunStatus[] | undefined;
  taskIdentifier?: string | undefined;
  tag?: string | undefined;
  eventId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  metadataKey?: string | undefined;
  metadataValue?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** The runs a bulk action acts on: `runs.list`'s filter (without paging), the task version, and ids. */
export interface BulkRunsFilter extends Omit<ListRunsFilter, "limit" | "cursor"> {
  taskVersion?: string | undefined;
  /** Only these runs (at most 500), picked one by one. */
  runIds?: string[] | undefined;
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
  /** False while paused (`schedules.deactivate`): it fires nothing until `schedules.activate`. */
  active: boolean;
  /** The next occurrence it will fire; null while paused. */
  nextRun: Date | null;
  /** The last occurrence it fired a run for; null before the first. */
  lastRun: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateScheduleOptions {
  task: string;
  /** Five fields, or six with seconds first. */
  cron: string;
  /** IANA time zone the cron expression is read in; default UTC. */
  timezone?: string | undefined;
  /** Handed to every run this schedule fires, as `payload.payload`. */
  payload?: Json | undefined;
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

export interface CreateWaitTokenOptions {
  /** Time out after this: seconds, a duration such as "10m" / "24h", or a date (what `delay` takes). */
  timeout?: number | string | Date | undefined;
  /** A second create with the same key returns the first token (`isCached: true`). */
  idempotencyKey?: string | undefined;
  /** How long `idempotencyKey` deduplicates: seconds or "30s" / "10m" / "24h"; default forever. */
  idempotencyKeyTTL?: number | string | undefined;
  tags?: string | string[] | undefined;
}

export interface WaitToken {
  /** `waitpoint_…`: what `wait.forToken` and `wait.completeToken` take. */
  id: string;
  /** POST a JSON body here to complete the token, with no API key: the URL holds its own secret. */
  url: string;
  /** A browser token that may read and complete this token only (`useWaitToken`); empty in dev mode, which needs none. */
  publicAccessToken: string;
  /** The token already existed under this idempotency key. */
  isCached: boolean;
}

export interface ListWaitTokensFilter {
  status?: WaitpointStatus | WaitpointStatus[] | undefined;
  /** Tokens carrying any of these tags. */
  tags?: string | string[] | undefined;
  /** Tokens this run waited on. */
  runId?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** What a run's journal records for `wait.forToken`: the outcome, without the methods added on top. */
export type WaitTokenOutcome = { ok: true; output: unknown } | { ok: false };

export interface PurgeRunsOptions {
  /** Runs that finished longer ago than this: seconds, or a duration like "30d" (a `RetentionDuration`). */
  olderThan: number | string;
  /** Only runs of this task (with the runs they started, whatever their task). */
  task?: string | undefined;
  /** Only runs that ended so; unfinished runs are never purged. */
  status?: FinalRunStatus | FinalRunStatus[] | undefined;
  /** Counts the runs that would go and deletes none. */
  dryRun?: boolean | undefined;
  /**
   * Keeps the purged runs' status and metadata history this long after they finished (a task's
   * own `retention.keepStatusHistory` wins); through an engine's HTTP API the engine's applies
   * when this is not given.
   */
  keepStatusHistory?: number | string | undefined;
}

export interface PurgeResult {
  /** Runs deleted, or that would be on a dry run (runs they started included). */
  count: number;
  dryRun: boolean;
}

