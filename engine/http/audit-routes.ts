import type { Hono } from "hono";
import { requireFull, type Access } from "../auth/access.ts";
import type { Service } from "../runs-api.ts";
import { auditExportQuery, auditVerifyQuery, parse } from "./bodies.ts";

type Env = { Variables: { access: Access } };

/** The audit trail (docs/audit.md) for the secret key only: `durably audit verify` and `export` over HTTP. */
export function auditRoutes(app: Hono<Env>, service: Service): void {
  app.get("/api/audit/verify", async (c) => {
    requireFull(c.get("access"), "Verifying the audit trail");
    const query = parse(auditVerifyQuery, c.req.query(), "query");
    return c.json(await service.verifyAudit({ runId: query.run, since: query.since }));
  });
  app.get("/api/runs/:id/audit", async (c) => {
    requireFull(c.get("access"), "Exporting a run's audit trail");
    const { format } = parse(auditExportQuery, c.req.query(), "query");
    const id = c.req.param("id");
    if (format === "json") return c.json(await service.exportAudit(id));
    // The id is the name of the file: run ids hold only letters, digits and '_' (engine/ids.ts).
    return c.body(await service.exportAuditCsv(id), 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="audit-${id.replace(/[^\w-]/g, "_")}.csv"`,
    });
  });
}
