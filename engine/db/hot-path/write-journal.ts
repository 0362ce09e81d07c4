import type { Database, Queryable } from "../database.ts";
import type { Run } from "../../../sdk/types.ts";
import { toRun, type ClaimedRow, type JsonJournalRow } from "../rows.ts";
import { ENTRY_COMPLETED } from "../sql/journal.ts";
import type { Statements } from "../sql/index.ts";
import { jsonParam } from "./json-param.ts";

/** One journal write as `journal.writeMany` reads it (snake_case: it is a JSON record for SQL). */
export interface JournalItem {
  run_id: string;
  lease: string;
  seq: number;
  kind: string;
  key: string;
  status: "completed" | "failed";
  output: unknown;
  error: unknown;
  attempts: number;
  started_at: Date;
  next_status: string | null;
  /** A step's timeout; absent for every other entry, so a batch's JSON carries nothing for them. */
  timeout_ms?: number;
  /** Set when the write changes the run's metadata (by `md_op` of `md_key` with `md_value`). */
  md?: true;
  md_op?: string;
  md_key?: string;
  md_value?: unknown;
}

/** The end of an execution as an item of a journal batch (see `journal.writeMany`). */
export interface EndItem {
  run_id: string;
  lease: string;
  seq: null;
  next_status: string;
  run_output: unknown;
  run_error: unknown;
  /** A caller in this process waits for the run's end: the batch returns the finished run (`Landed.run`). */
  awaited?: true;
  md?: undefined;
}

/** A write that landed, with its entry when a live stream in this process follows its run (see `journal.writeMany`). */
export interface Landed {
  run_id: string;
  entry?: JsonJournalRow | null;
  /** An `awaited` end's finished run, as JSON (see `runFromJson`). */
  run?: Record<string, unknown> | null;
}

/**
 * `journal.writeOne` (or `writeOneWithMetadata`): one io call with plain parameters. The rows of
 * the write that landed (none if the lease fence refused it); undefined if it met a completed entry.
 */
export async function writeJournalEntry(
  db: Database, sql: Statements, on: Queryable, args: { item: JournalItem; channel: string; followed: boolean },
): Promise<Landed[] | undefined> {
  const { item, channel, followed } = args;
  const values: unknown[] = [
    item.run_id, item.lease, item.seq, item.kind, item.key, item.status, jsonParam(item.output), jsonParam(item.error), item.attempts,
    item.started_at, item.next_status, channel,
  ];
  const text = item.md === undefined ? sql.journal.writeOne : sql.journal.writeOneWithMetadata;
  if (item.md !== undefined) values.push(item.md, item.md_op, item.md_key, jsonParam(item.md_value));
  values.push(followed, item.timeout_ms ?? null);
  const result = await db.query<Landed>(text, values, on).catch((error: { code?: string }) => {
    // A batch meeting a completed entry fails as a whole; the batcher then sends its writes one
    // by one, so that only the write that met it comes here refused.
    if (error.code === ENTRY_COMPLETED) return undefined;
    throw error;
  });
  return result?.rows;
}

/**
 * `journal.writeMany` (or `writeManyWithMetadata`): a batch of writes and ends, at most one per
 * run and in lock order (`byRunId`, ./lock-order.ts), with a claim of up to `claim` ready runs;
 * `writeManyNoClaim` (or `writeManyWithMetadataNoClaim`) when `claim` is 0.
 * `followed`: the runs whose landed entries come back for this process's live streams.
 */
export async function writeJournalBatch(
  db: Database, sql: Statements, on: Queryable,
  args: { writes: (JournalItem | EndItem)[]; channel: string; claim: number; followed: string[] },
): Promise<{ landed: Landed[]; claimed: ClaimedRow[] }> {
  const { writes, channel, claim, followed } = args;
  const metadata = writes.some((item) => item.md !== undefined);
  const text = claim > 0
    ? (metadata ? sql.journal.writeManyWithMetadata : sql.journal.writeMany)
    : (metadata ? sql.journal.writeManyWithMetadataNoClaim : sql.journal.writeManyNoClaim);
  // Each output goes as its JSON text, which the journal stores as it is (migration 39).
  const items = JSON.stringify(writes.map((item) => (item.seq === null ? item : { ...item, output: jsonParam(item.output) })));
  const { rows } = await db.query<Landed & { claimed: Record<string, unknown> | null }>(
    text, claim > 0 ? [items, channel, claim, followed] : [items, channel, followed], on,
  );
  return {
    landed: rows.filter((r) => r.claimed === null),
    claimed: rows.flatMap((r) => (r.claimed === null ? [] : [claimedFromJson(r.claimed)])),
  };
}

/** A finished run as the statement that ended it returns it (`endedRun` in sql/runs.ts), as a read would. */
export function runFromJson(row: Record<string, unknown>): Run {
  return toRun({ ...claimedFromJson(row), wait: null });
}

const TIMESTAMPS = ["created_at", "started_at", "finished_at", "updated_at", "scheduled_for", "idempotency_key_expires_at", "expires_at", "ready_at", "heartbeat_at"];

/** A run as a statement returns it in JSON (a journal batch's claims, a run started by its insert, an ended run), typed as node-postgres would have parsed its row. */
export function claimedFromJson(row: Record<string, unknown>): ClaimedRow {
  const parsed: Record<string, unknown> = { ...row, revision: String(row.revision) };
  for (const column of TIMESTAMPS) if (typeof row[column] === "string") parsed[column] = new Date(row[column]);
  return parsed as unknown as ClaimedRow;
}
