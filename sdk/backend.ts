import type { CreateScheduleOptions, EventRecord, ListRunsFilter, Run, RunList, RunStatuses, ScheduleRecord, TriggerOptions } from "./types.ts";

export interface TriggerRequest {
  taskId: string;
  taskVersion?: string;
  payload: unknown;
  options?: TriggerOptions;
  parentRunId?: string;
  /** A child awaited with `triggerAndWait`: finishing it wakes the parent. */
  resumeParent?: boolean;
  /** The queue the task's code declares; without it, the queue of the registered task version. */
  queue?: { name: string; concurrencyLimit: number };
  /** The occurrence a schedule fired this run for. */
  scheduledFor?: Date;
}

export interface PublicTokenOptions {
  scopes: { read: { runs?: string[]; tags?: string[] } };
  /** Seconds, or "30s" / "15m" / "1h"; default 15 minutes, at most a day. */
  expiresIn?: number | string;
}

export interface SendEventRequest {
  name: string;
  payload: unknown;
  id?: string;
}

/** The narrow interface the SDK reaches the engine through (in-process or over HTTP). */
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
  /** A new run whose journal is a copy of this run's entries before `fromSeq`. */
  forkRun(id: string, options: { fromSeq: number }): Promise<{ id: string }>;
  createSchedule(options: CreateScheduleOptions): Promise<ScheduleRecord>;
  listSchedules(filter?: { task?: string }): Promise<ScheduleRecord[]>;
  deleteSchedule(id: string): Promise<{ id: string }>;
  /** A read-only token for browsers, scoped to runs and/or tags. */
  createPublicToken(options: PublicTokenOptions): Promise<string>;
  /** Resolves with the run once it is finished, or throws `TimeoutError`. */
  pollRun(id: string, timeoutMs: number): Promise<Run>;
}

export interface ConfigureOptions {
  databaseUrl?: string;
  /**
   * A direct connection to PostgreSQL when `databaseUrl` goes through a pooler in transaction
   * mode (PgBouncer, Supabase, Neon), for LISTEN (`runs.poll`) and migrations; default
   * DATABASE_DIRECT_URL.
   */
  directUrl?: string;
  /** Postgres schema holding durably's tables (default `durably`). */
  schema?: string;
  /** Signs public access tokens (`auth.createPublicToken`). */
  secretKey?: string;
}

let configured: ConfigureOptions | undefined;
let explicit: Backend | undefined;
let fromConfig: Promise<Backend> | undefined;

/** Points `task.trigger`, `runs.*` and clients without a `databaseUrl` at a database. */
export function configure(options: ConfigureOptions): void {
  configured = options;
  fromConfig = undefined;
}

/** Used by an in-process engine so triggering needs no extra configuration. */
export function setDefaultBackend(backend: Backend | undefined): void {
  explicit = backend;
}

export function hasDefaultBackend(): boolean {
  return explicit !== undefined;
}

export function connectBackend(options: ConfigureOptions): Promise<Backend> {
  // Loaded lazily: a process that never triggers never opens a pool, and sdk/ stays free of SQL.
  return import("../engine/index.ts").then((engine) => engine.connect(options));
}

export function getBackend(): Promise<Backend> {
  if (explicit && !configured) return Promise.resolve(explicit);
  fromConfig ??= connectBackend(configured ?? {});
  return fromConfig;
}
