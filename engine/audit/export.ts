import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";

/** One version of a run's history as an auditor receives it, with the hash that chains it. */
export interface AuditVersion {
  table: "journal" | "run_metadata_history";
  seq: number;
  revision: number | null;
  at: string;
  kind: "status" | "metadata";
  key: string | null;
  /** A status entry's state (`completed`); null for metadata. */
  status: string | null;
  /** A status: the status as it became; metadata: the value the change set. */
  value: unknown;
  /** A metadata change's operation (`set`, `increment`, `trigger`…). */
  op: string | null;
  /** The whole metadata after a change. */
  metadata: unknown;
  childRunId: string | null;
  /** Hex; null for a version written before the audit chain existed. */
  hash: string | null;
}

/** A run's full status and metadata history in chain order; null when there is no such run. */
export async function auditHistory(db: Database, sql: Statements, runId: string): Promise<{ runId: string; head: string | null; versions: AuditVersion[] } | null> {
  const head = await db.query<{ head: string | null }>(sql.audit.head, [runId]);
  if (head.rows.length === 0) return null;
  const { rows } = await db.query<Record<string, unknown>>(sql.audit.export, [runId]);
  return {
    runId, head: head.rows[0]!.head,
    versions: rows.map((r) => ({
      table: r.tbl as AuditVersion["table"], seq: r.seq as number, revision: r.revision === null ? null : Number(r.revision),
      at: (r.at as Date).toISOString(), kind: r.kind as AuditVersion["kind"], key: r.key as string | null, status: r.status as string | null,
      value: r.value ?? null, op: r.op as string | null, metadata: r.metadata ?? null, childRunId: r.child_run_id as string | null, hash: r.hash as string | null,
    })),
  };
}

const CSV_COLUMNS = ["table", "seq", "revision", "at", "kind", "key", "status", "value", "op", "metadata", "childRunId", "hash"] as const;

/** RFC 4180: JSON values as their JSON text, every field quoted when it needs to be. */
export function auditCsv(versions: AuditVersion[]): string {
  const field = (v: unknown) => {
    const text = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const cell = (version: AuditVersion, column: (typeof CSV_COLUMNS)[number]) =>
    field(column === "value" || column === "metadata" ? (version[column] === null ? null : JSON.stringify(version[column])) : version[column]);
  return [CSV_COLUMNS.join(","), ...versions.map((v) => CSV_COLUMNS.map((c) => cell(v, c)).join(","))].join("\r\n") + "\r\n";
}
