import type { WaitpointRecord, WaitpointStatus } from "../../sdk/waitpoints.ts";
import { decode } from "../serialize.ts";

/** A `waitpoints` row as the statements in db/sql/waitpoints.ts return it (`status` as readers see it). */
export interface WaitpointRow {
  id: string;
  status: WaitpointStatus;
  output: unknown;
  timeout_at: Date | null;
  idempotency_key: string | null;
  idempotency_key_expires_at: Date | null;
  tags: string[];
  run_ids: string[];
  created_at: Date;
  completed_at: Date | null;
}

export function toWaitpoint(row: WaitpointRow): WaitpointRecord {
  return {
    id: row.id,
    status: row.status,
    output: row.status === "COMPLETED" ? decode(row.output) : undefined,
    timeoutAt: row.timeout_at,
    idempotencyKey: row.idempotency_key,
    idempotencyKeyExpiresAt: row.idempotency_key_expires_at,
    tags: row.tags,
    runs: row.run_ids,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}
