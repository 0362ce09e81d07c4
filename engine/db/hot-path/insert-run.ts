import type { Database, Queryable } from "../database.ts";
import type { Statements } from "../sql/index.ts";
import type { QueueLimits } from "../../../sdk/queue.ts";

/** One run as `runs.insert` writes it, already validated and serialized. */
export interface InsertRunRow {
  id: string;
  taskId: string;
  version: string;
  eventId: string | null;
  parentRunId: string | null;
  payload: unknown;
  metadata: unknown;
  tags: string[];
  idempotencyKey: string | null;
  idempotencyKeyExpiresAt: Date | null;
  expiresAt: Date | null;
  resumeParent: boolean;
  /** The trigger's queue; null takes the registered task version's. */
  queue: QueueLimits | null;
  concurrencyKey: string | null;
  forkedFrom: string | null;
  scheduledFor: Date | null;
  /** The run starts later through its job, so it is not ready at once. */
  delayed: boolean;
  /** The trigger's `maxDuration`, which overrides the task's. */
  maxDurationMs: number | null;
  /** Seconds ahead of runs that became ready before it (see `readySince` in sql/runs.ts). */
  priority: number;
  /** The triggering code's W3C trace context, which the run's spans continue. */
  traceContext: Record<string, string> | null;
}

/**
 * `runs.insert`: the run on the caller's transaction, notified on `channels.run` and waking workers
 * on `channels.wake`. No row when a run already holds its idempotency key; `ready` when a worker
 * may claim it at once, without a start job.
 */
export async function insertRunRow(
  db: Database, sql: Statements, on: Queryable, args: { run: InsertRunRow; channels: { run: string; wake: string } },
): Promise<{ ready: boolean } | undefined> {
  const { run, channels } = args;
  const { rows } = await db.query<{ ready: boolean }>(sql.runs.insert, [
    run.id, run.taskId, run.version, run.eventId, run.parentRunId, run.payload, run.metadata, run.tags, run.idempotencyKey,
    channels.run, channels.wake, run.resumeParent, run.idempotencyKeyExpiresAt, run.expiresAt,
    run.queue?.name ?? null, run.queue?.concurrencyLimit ?? null, run.concurrencyKey, run.forkedFrom, run.scheduledFor,
    run.delayed, run.maxDurationMs, run.priority, run.queue?.rateLimit?.limit ?? null, run.queue?.rateLimit?.periodMs ?? null,
    run.traceContext,
  ], on);
  return rows[0];
}
