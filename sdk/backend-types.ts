import type { AuditHistory, AuditVerifyResult, PurgeResult, PurgeRunsOptions } from "./types.ts";
import type {
  BulkAction,
  BulkActionKind,
  BulkDryRun,
  BulkRunsFilter,
  CreateScheduleOptions,
  JournalPush,
  CreateWaitTokenOptions,
  EventRecord,
  ListRunsFilter,
  ListWaitTokensFilter,
  Run,
  RunList,
  RunStatuses,
  ScheduleRecord,
  StreamEvent,
  TriggerOptions,
  WaitpointList,
  WaitpointRecord,
  WaitToken,
} from "./types.ts";
import type { QueueLimits } from "./queue.ts";

export interface TriggerRequest {
  taskId: string;
  taskVersion?: string | undefined;
  payload: unknown;
  options?: TriggerOptions | undefined;
  parentRunId?: string | undefined;
  /** A child awaited with `triggerAndWait`: finishing it wakes the parent. */
  resumeParent?: boolean | undefined;
  /** The queue the task's code declares; without it, the queue of the registered task version. */
  queue?: QueueLimits | undefined;
  /** The occurrence a schedule fired this run for. */
  scheduledFor?: Date | undefined;
  /** The triggering code's W3C trace context (`traceparent`), which the run's spans continue. */
  traceContext?: Record<string, string> | null | undefined;
}

export interface PublicTokenOptions {
  scopes: {
    read: {
      runs?: string[] | undefined;
      tags?: string[] | undefined;
      waitpoints?: string[] | undefined;
      /** A batch (or several) whose runs the token may read and follow (`useRealtimeBatch`). */
      batch?: string | string[] | undefined;
      /** Tasks whose runs the token may read. */
      tasks?: string[] | undefined;
    };
    write?: { waitpoints?: string[] | undefined } | undefined;
  };
  /** Seconds, or "30s" / "15m" / "1h"; default 15 minutes, at most a day. */
  expiresIn?: number | string | undefined;
  /** Trigger.dev's name: a duration ("1h"), a Date, or epoch seconds; at most a day away. */
  expirationTime?: number | string | Date | undefined;
}

export interface TriggerPublicTokenOptions {
  /** A duration ("1h"), a Date, or epoch seconds; default 15 minutes, at most a day away. */
  expirationTime?: number | string | Date | undefined;
  /** The token may start any number of runs until it expires; by default it starts one. */
  multipleUse?: boolean | undefined;
}

/**
 * A change on a run's live stream: the run as of a revision, or a journal entry as it was
 * written, with the status or metadata it changed.
 */
export type RunUpdate = { type: "run"; run: Run } | ({ type: "journal" } & JournalPush);

export interface BulkRequest {
  action: BulkActionKind;
  filter: BulkRunsFilter;
  /** For a fork: the step each run is forked from. */
  fromSeq?: number | undefined;
  /** Counts the runs the filter matches and acts on none. */
  dryRun?: boolean | undefined;
}

/** Which audit chains `audit.verify` recomputes: one run (and a fork's origins), the runs created since a date, or all. */
export interface AuditVerifyFilter {
  runId?: string | undefined;
  since?: Date | undefined;
}

export interface SendEventRequest {
  name: string;
  payload: unknown;
  id?: string | undefined;
}

/** The narrow interface the SDK reaches the engine through: directly on PostgreSQL, or over HTTP. */
export interface Backend {
  trigger(request: TriggerRequest): Promise<{ id: string; isCached: boolean }>;
  sendEvent(request: SendEventRequest): Promise<{ id: string; runs: string[] }>;
  retrieveRun(id: string): Promise<Run>;
  listRuns(filter: ListRunsFilter): Promise<RunList>;
  getRunStatuses(id: string): Promise<RunStatuses>;
  getEvent(id: string): Promise<EventRecord & { runs: Run[] }>;
  retryRun(id: string): Promise<{ id: string }>;
  replayRun(id: string): Promise<{ id: string }>;
  cancelRun(id: string): Promise<{ id: string }>;
  /** Triggers every request in one transaction: all runs exist, or none. */
  batchTrigger(requests: TriggerRequest[]): Promise<{ id: string; isCached: boolean }[]>;
  /**
   * `batchTrigger`: the runs form a batch, followed by `subscribeToBatch`. The same
   * `idempotencyKey` gives the same batch id (a run's batch, its trigger made again after a crash).
   */
  triggerBatch(requests: TriggerRequest[], options?: { idempotencyKey?: string }): Promise<{ batchId: string; runs: { id: string; isCached: boolean }[] }>;
  /** Snapshots of the run, each newer than the last; ends after the one where it finished. */
  subscribeToRun(id: string): AsyncIterableIterator<Run>;
  /** Snapshots of the runs carrying `tag`, newest runs first, then as they change; never ends by itself. */
  subscribeToRunsWithTag(tag: string): AsyncIterableIterator<Run>;
  /** Snapshots of the batch's runs as they change; ends once all have finished. */
  subscribeToBatch(batchId: string): AsyncIterableIterator<Run>;
  /** A new run whose journal is a copy of this run's entries before `fromSeq`. */
  forkRun(id: string, options: { fromSeq: number }): Promise<{ id: string }>;
  createSchedule(options: CreateScheduleOptions): Promise<ScheduleRecord>;
  listSchedules(filter?: { task?: string | undefined }): Promise<ScheduleRecord[]>;
  deleteSchedule(id: string): Promise<{ id: string }>;
  /** Resumes (`active` true) or pauses a schedule. */
  setScheduleActive(id: string, active: boolean): Promise<ScheduleRecord>;
  /** A read-only token for browsers, scoped to runs and/or tags. */
  createPublicToken(options: PublicTokenOptions): Promise<string>;
  /** A browser token that may trigger one task (`useTaskTrigger`) and read nothing. */
  createTriggerPublicToken(taskId: string, options: TriggerPublicTokenOptions): Promise<string>;
  /** Resolves with the run once it is finished, or throws `TimeoutError`. */
  pollRun(id: string, timeoutMs: number): Promise<Run>;
  /**
   * The run's journal entries and the run itself, as they were and then as they change, pushed
   * (LISTEN/NOTIFY directly, SSE over HTTP), until the run has finished or `signal` aborts.
   */
  subscribeToRunUpdates(id: string, options?: { signal?: AbortSignal | undefined }): AsyncIterable<RunUpdate>;
  /** Every run that changes from now on, as it is after the change, until `signal` aborts. */
  subscribeToAllRuns(options?: { signal?: AbortSignal | undefined }): AsyncIterable<Run>;
  /** Releases what the backend opened (pool, LISTEN connection); an engine's own closes with it. */
  close(): Promise<void>;
  createWaitToken(options: CreateWaitTokenOptions): Promise<WaitToken>;
  /** An existing token's URL and browser token (a replayed `createToken` journals neither). */
  accessWaitToken(id: string): Promise<WaitToken>;
  /** The first completion wins and wakes every waiting run; a later one throws `WaitpointCompletedError`. */
  completeWaitToken(id: string, output: unknown): Promise<void>;
  retrieveWaitToken(id: string): Promise<WaitpointRecord>;
  /** Freezes the runs the filter matches and acts on each once, in the background; a dry run only counts them. */
  bulkAction(request: BulkRequest): Promise<BulkAction | BulkDryRun>;
  retrieveBulkAction(id: string): Promise<BulkAction>;
  /** The action as it is, then as its progress is pushed (LISTEN/NOTIFY directly, SSE over HTTP), until it completes or `signal` aborts. */
  followBulkAction(id: string, options?: { signal?: AbortSignal | undefined }): AsyncIterable<BulkAction>;
  /** Deletes finished runs (and all they owned) that a filter picks; a dry run only counts them. */
  purgeRuns(options: PurgeRunsOptions): Promise<PurgeResult>;
  listWaitTokens(filter: ListWaitTokensFilter): Promise<WaitpointList>;
  /** Recomputes audit chains and names the first link that does not hold (docs/audit.md). */
  verifyAudit(filter: AuditVerifyFilter): Promise<AuditVerifyResult>;
  /** A run's status and metadata history in chain order, with its hashes. */
  exportAudit(runId: string): Promise<AuditHistory>;
  /** The same history as CSV (RFC 4180), as `durably audit export --format csv` writes it. */
  exportAuditCsv(runId: string): Promise<string>;
  /**
   * A stream's chunks after `after`, then each as it commits, with a reset where chunks were
   * superseded; ends after `end` (the run finished) or when `signal` aborts.
   */
  followStream(runId: string, key: string, options: { after: number; signal?: AbortSignal }): AsyncIterable<StreamEvent>;
}
