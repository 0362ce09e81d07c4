import { callerTraceContext } from "../../sdk/tracing/trace-context.ts";
import type pg from "pg";
import { InvalidPayloadError } from "../../sdk/errors.ts";
import type { Metadata } from "../../sdk/types.ts";
import type { RunRow } from "../db/rows.ts";
import type { Stored } from "../serialize.ts";
import { insertRun, type InsertDeps } from "./insert-run.ts";

/**
 * A new run of the same task version and payload whose journal is a copy of the original's
 * entries before `fromSeq` (statuses included, and the metadata those entries wrote), so it replays
 * them and executes again from `fromSeq`: for fixing a bug and resuming from a step. The copies'
 * audit chain continues the original's at the fork point (engine/db/sql/audit.ts).
 */
export async function forkRun(deps: InsertDeps, original: RunRow, initialMetadata: Metadata, fromSeq: number): Promise<{ id: string }> {
  if (!Number.isInteger(fromSeq) || fromSeq < 1) throw new InvalidPayloadError("fromSeq must be a positive integer (seq 1 is the first io call)");
  return deps.db.transaction((client) => forkRunIn(deps, client, original, initialMetadata, fromSeq));
}

/** `forkRun` inside the caller's transaction (a bulk fork marks its item in it). */
export async function forkRunIn(deps: InsertDeps, client: pg.PoolClient, original: RunRow, initialMetadata: Metadata, fromSeq: number): Promise<{ id: string }> {
  const { db, sql } = deps;
  const { id } = await insertRun(deps, client, {
    taskId: original.task_id, version: original.task_version, eventId: original.event_id, parentRunId: null,
    payload: original.payload as Stored, metadata: initialMetadata, tags: original.tags,
    idempotencyKey: null, idempotencyKeyExpiresAt: null, expiresAt: null, resumeParent: false,
    queue: original.queue && (original.concurrency_limit || original.rate_limit) ? {
      name: original.queue, concurrencyLimit: original.concurrency_limit,
      rateLimit: original.rate_limit && original.rate_period_ms ? { limit: original.rate_limit, periodMs: original.rate_period_ms } : null,
    } : null,
    concurrencyKey: original.concurrency_key, forkedFrom: original.id, scheduledFor: original.scheduled_for, startAfter: undefined,
    maxDurationMs: original.max_duration_ms, priority: original.priority, traceContext: callerTraceContext(),
  });
  const args = [id, original.id, fromSeq];
  await db.query(sql.journal.copyBefore, args, client);
  await db.query(sql.metadata.copyBefore, args, client);
  await db.query(sql.runs.metadataBefore, args, client);
  await db.query(sql.audit.rechain, [id, original.id, fromSeq], client);
  return { id };
}
