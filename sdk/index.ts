export { Client, eventTrigger } from "./client.ts";
export type { ClientOptions, EventTrigger, Job, JobOptions } from "./client.ts";
export { task } from "./task.ts";
export type { BatchHandle, BatchItem, RunHandle, Task, TaskOptions, TaskRunContext } from "./task.ts";
export { tasks } from "./tasks.ts";
export type { AnyTask, TaskIdentifier, TaskOutput, TaskPayload } from "./tasks.ts";
export { logger } from "./logger.ts";
export { metadata } from "./metadata.ts";
export { wait } from "./wait.ts";
export type { Duration } from "./wait.ts";
export { WAITPOINT_STATUSES } from "./waitpoints.ts";
export type { CreateWaitTokenOptions, ListWaitTokensFilter, WaitpointList, WaitpointRecord, WaitpointStatus, WaitToken, WaitTokenResult } from "./waitpoints.ts";
export { runs } from "./runs.ts";
export { streams } from "./streams.ts";
export type { AsyncIterableStream, DefinedStream, PipeResult, PipeStreamResult, StreamReadOptions, StreamSource } from "./streams.ts";
export type { BulkForkOptions, BulkOptions } from "./bulk.ts";
export type { RetentionDuration, RetentionOptions } from "./retention.ts";
export { schedules } from "./schedules.ts";
export { configure, disconnect } from "./backend.ts";
export type { ConfigureOptions, PublicTokenOptions, TriggerPublicTokenOptions } from "./backend.ts";
export { auth } from "./auth.ts";
export { audit } from "./audit.ts";
export type { IO, Logger, RunContext, RunTaskOptions, StatusHandle, StatusInput, TaskContext, TransactionClient } from "./context.ts";
export type { RetryOptions } from "./retry.ts";
export type { QueueOptions, RateLimitOptions } from "./queue.ts";
export type { HookParams, LifecycleHooks } from "./hooks.ts";
export {
  AbortTaskRunError,
  DatabaseNotMigratedError,
  DatabaseUnreachableError,
  DuplicateTaskError,
  DurablyError,
  EngineUnreachableError,
  EventNotFoundError,
  InvalidPayloadError,
  InvalidRunStateError,
  MaxDurationExceededError,
  MetadataTooLargeError,
  NonDeterminismError,
  NotConfiguredError,
  OutsideRunError,
  RunFailedError,
  RunNotFoundError,
  ScheduleNotFoundError,
  StreamChunkTooLargeError,
  StreamResetError,
  StreamTooLargeError,
  TaskNotFoundError,
  TimeoutError,
  WaitpointCompletedError,
  WaitpointNotFoundError,
  WaitpointTimeoutError,
} from "./errors.ts";
export type { JournalCall } from "./errors.ts";
export { DEFAULT_STREAM_KEY, RUN_STATUSES } from "./types.ts";
export type {
  AuditBrokenLink,
  AuditHistory,
  AuditVerifyResult,
  AuditVersion,
  BulkAction,
  BulkActionKind,
  BulkDryRun,
  BulkRunsFilter,
  ChildRunResult,
  PurgeResult,
  PurgeRunsOptions,
  CreateScheduleOptions,
  EventRecord,
  Json,
  JournalEntry,
  ListRunsFilter,
  Metadata,
  MetadataChange,
  Run,
  RunHead,
  RunList,
  RunStatus,
  RunStatuses,
  RunStatusView,
  RunWait,
  ScheduledPayload,
  ScheduleRecord,
  SerializedError,
  StatusState,
  StatusVersion,
  StreamChunk,
  StreamEvent,
  StreamInfo,
  StreamSnapshot,
  TriggerOptions,
} from "./types.ts";
