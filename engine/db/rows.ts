import type { EventRecord, JournalEntry, Metadata, MetadataChange, Run, RunStatus, RunStatusView, SerializedError } from "../../sdk/types.ts";
import { isFinalRunStatus } from "../../wire/index.ts";
import type { JournalTuple } from "../journal/recorded-call.ts";
import { decode } from "../serialize.ts";

export interface RunRow {
  id: string;
  task_id: string;
  task_version: string;
  event_id: string | null;
  event_name: string | null;
  parent_run_id: string | null;
  payload: unknown;
  status: RunStatus;
  output: unknown;
  error: SerializedError | null;
  metadata: Metadata;
  tags: string[];
  idempotency_key: string | null;
  resume_parent: boolean;
  queue: string | null;
  concurrency_key: string | null;
  concurrency_limit: number | null;
  /** At most this many runs of the queue (and key) start in any `rate_period_ms`. */
  rate_limit: number | null;
  rate_period_ms: number | null;
  forked_from: string | null;
  scheduled_for: Date | null;
  attempts: number;
  lease: string | null;
  revision: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
  /** The trigger's maxDuration, or its task's once an execution has recorded its time. */
  max_duration_ms: number | null;
  /** The trigger's priority, in seconds ahead. */
  priority: number;
  /** Time spent executing in earlier executions (a bigint, so pg reads it as text). */
  executed_ms: string;
  /** The W3C trace context of the code that triggered the run (OpenTelemetry), if it was traced. */
  trace_context: Record<string, string> | null;
}

/** `journal_revision`: the run's revision when its journal was read (see `claimReturning` in sql/runs.ts). */
export type ClaimedRow = RunRow & { journal: JournalTuple[]; journal_revision: string | number };

/** A run as the run reads select it, with what it waits on (`runWait` in sql/waitpoints.ts). */
export type RunReadRow = RunRow & { wait: { waitpointId: string; timeoutAt: string | null } | null };

export function toRun(row: RunReadRow): Run {
  return {
    id: row.id,
    status: row.status,
    taskIdentifier: row.task_id,
    taskVersion: row.task_version,
    eventId: row.event_id,
    parentRunId: row.parent_run_id,
    payload: decode(row.payload),
    output: decode(row.output),
    error: row.error,
    metadata: row.metadata,
    tags: row.tags,
    attempts: row.attempts,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
    isCompleted: isFinalRunStatus(row.status),
    isSuccess: row.status === "SUCCESS",
    isFailed: row.status === "FAILURE",
    isQueued: row.status === "QUEUED",
    isExecuting: row.status === "EXECUTING",
    isWaiting: row.status === "WAITING",
    isCancelled: row.status === "CANCELED",
    revision: Number(row.revision),
    forkedFrom: row.forked_from,
    scheduledFor: row.scheduled_for,
    maxDuration: row.max_duration_ms === null ? null : row.max_duration_ms / 1000,
    priority: row.priority,
    wait: row.wait && {
      kind: "waitpoint",
      waitpointId: row.wait.waitpointId,
      timeoutAt: row.wait.timeoutAt === null ? null : new Date(row.wait.timeoutAt),
    },
  };
}

export interface StatusRow {
  key: string;
  label: string;
  state: RunStatusView["state"];
  data: Record<string, unknown> | null;
  updated_at: Date;
  history: { label: string; state: RunStatusView["state"]; data: Record<string, unknown> | null; at: string }[];
}

export function toStatus(row: StatusRow): RunStatusView {
  return {
    key: row.key,
    label: row.label,
    state: row.state,
    data: row.data ?? undefined,
    updatedAt: row.updated_at,
    history: row.history.map((h) => ({ label: h.label, state: h.state, data: h.data ?? undefined, at: new Date(h.at) })),
  };
}

export interface JournalRow {
  seq: number;
  kind: string;
  key: string;
  status: "completed" | "failed";
  output: unknown;
  error: SerializedError | null;
  attempts: number;
  started_at: Date;
  finished_at: Date;
  revision: string;
  timeout_ms: number | null;
}

/** A journal row as JSON (`journalEntryJson` in sql/feed.ts): timestamps arrive as strings. */
export type JsonJournalRow = Omit<JournalRow, "started_at" | "finished_at"> & { started_at: string; finished_at: string };

export function fromJsonJournalRow(row: JsonJournalRow): JournalEntry {
  return toJournalEntry({ ...row, started_at: new Date(row.started_at), finished_at: new Date(row.finished_at) });
}

export function toJournalEntry(row: JournalRow): JournalEntry {
  return {
    seq: row.seq,
    kind: row.kind,
    key: row.key,
    status: row.status,
    output: decode(row.output),
    error: row.error,
    attempts: row.attempts,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    revision: Number(row.revision),
    timeoutMs: row.timeout_ms ?? null,
  };
}

export function toMetadataChange(row: {
  seq: number;
  op: MetadataChange["op"];
  key: string | null;
  value: MetadataChange["value"] | null;
  metadata: Metadata;
  at: Date | string;
  child_run_id?: string | null;
}): MetadataChange {
  return {
    seq: row.seq, op: row.op, key: row.key, value: row.value ?? undefined, metadata: row.metadata, at: new Date(row.at),
    ...(row.child_run_id ? { childRunId: row.child_run_id } : {}),
  };
}

export function toEvent(row: { id: string; name: string; payload: unknown; created_at: Date }): EventRecord {
  return { id: row.id, name: row.name, payload: decode(row.payload), createdAt: row.created_at };
}
