import type { Backend } from "../backend-types.ts";
import type { AuditHistory, AuditVerifyResult } from "../types.ts";
import type { EngineHttp } from "./request.ts";

/** The audit trail over HTTP: `GET /api/audit/verify`, `GET /api/runs/:id/audit?format=json|csv`. */
export function auditCalls(http: EngineHttp): Pick<Backend, "verifyAudit" | "exportAudit" | "exportAuditCsv"> {
  const exportPath = (runId: string, format: string) => `/api/runs/${encodeURIComponent(runId)}/audit?format=${format}`;
  return {
    verifyAudit(filter) {
      const query = new URLSearchParams();
      if (filter.runId !== undefined) query.set("run", filter.runId);
      // An invalid Date goes as it prints ("Invalid Date"), for the engine to refuse as the direct backend does.
      if (filter.since !== undefined) query.set("since", Number.isNaN(filter.since.getTime()) ? String(filter.since) : filter.since.toISOString());
      const text = query.toString();
      return http.json<AuditVerifyResult>("GET", `/api/audit/verify${text ? `?${text}` : ""}`, filter.runId === undefined ? {} : { subject: { runId: filter.runId } });
    },
    exportAudit: (runId) => http.json<AuditHistory>("GET", exportPath(runId, "json"), { subject: { runId } }),
    exportAuditCsv: (runId) => http.text(exportPath(runId, "csv"), { subject: { runId } }),
  };
}
