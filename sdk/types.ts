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

export interface RunStatuses {
  run: { id: string; status: RunStatus; output: unknown };
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
