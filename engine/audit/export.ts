import type { AuditHistory, AuditVersion, Json } from "../../wire/index.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";

/** A run's full status and metadata history in chain order; null when there is no such run. */
export async function auditHistory(db: Database, sql: Statements, runId: string): Promise<AuditHistory | null> {
  const { rows: [run] } = await db.query<{ head: string | null; forked_from: string | null; origin: string | null }>(sql.audit.head, [runId]);
  if (!run) return null;
  const { rows } = await db.query<Record<string, unknown>>(sql.audit.export, [runId]);
  return {
    runId, head: run.head,
    origin: run.origin && run.forked_from ? { runId: run.forked_from, hash: run.origin } : null,
    versions: rows.map((r) => ({
      table: r.tbl as AuditVersion["table"], seq: r.seq as number, revision: r.revision === null ? null : Number(r.revision),
      at: (r.at as Date).toISOString(), kind: r.kind as AuditVersion["kind"], key: r.key as string | null, status: r.status as string | null,
      value: (r.value ?? null) as Json | null, op: r.op as string | null, metadata: (r.metadata ?? null) as Json | null, childRunId: r.child_run_id as string | null, hash: r.hash as string | null,
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
