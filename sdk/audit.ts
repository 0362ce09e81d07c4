import { getBackend } from "./backend.ts";
import type { AuditHistory, AuditVerifyResult } from "./types.ts";

/**
 * The audit trail of statuses and metadata (docs/audit.md): each version is hash-chained to its
 * run's previous one, so an edit or deletion in the database is found by `verify`.
 */
export const audit = {
  /**
   * Recomputes the chains of one run (a fork's walks on into its origin), of the runs created
   * since a date, or of every run, and names the first link that does not hold (`broken`).
   */
  async verify(filter: { runId?: string | undefined; since?: Date | undefined } = {}): Promise<AuditVerifyResult> {
    return (await getBackend()).verifyAudit(filter);
  },
  /** A run's full status and metadata history in chain order with its hashes: JSON, or CSV text. */
  export: (async (runId: string, options: { format?: "json" | "csv" } = {}) => {
    const backend = await getBackend();
    return options.format === "csv" ? backend.exportAuditCsv(runId) : backend.exportAudit(runId);
  }) as AuditExport,
};

interface AuditExport {
  (runId: string, options: { format: "csv" }): Promise<string>;
  (runId: string, options?: { format?: "json" | undefined }): Promise<AuditHistory>;
}
