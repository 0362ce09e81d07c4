import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { useDurably } from "durably/react";
import { Card } from "../../components/Card.tsx";
import { ErrorState } from "../../components/ErrorState.tsx";
import { apiRequest, downloadFrom } from "../../lib/api-request.ts";
import { hrefs } from "../../lib/router.ts";
import type { AuditVerifyResult } from "../../../../wire/index.ts";

/**
 * The run's hash-chained audit trail (docs/audit.md): recomputed on demand by the engine
 * (`GET /api/audit/verify?run=`, walking from a fork into its origin), and exported as a file.
 */
export function AuditSection({ runId }: { runId: string }) {
  const { api, queryClient } = useDurably();
  const path = encodeURIComponent(runId);
  const verify = useMutation(
    { mutationFn: () => apiRequest<AuditVerifyResult>(api, "GET", `/api/audit/verify?run=${path}`) },
    queryClient,
  );
  const exportAs = useMutation(
    { mutationFn: (format: "json" | "csv") => downloadFrom(api, `/api/runs/${path}/audit?format=${format}`, `audit-${runId}.${format}`) },
    queryClient,
  );
  const [checkedAt, setCheckedAt] = useState<Date | undefined>(undefined);
  const result = verify.data;

  return (
    <Card title="Audit trail" testId="audit-trail">
      <p className="muted small">Every status and metadata version is hash-chained to the one before it: an edit or deletion in the database breaks the chain.</p>
      <div className="audit-actions">
        <button
          type="button"
          className="button"
          data-testid="audit-verify"
          disabled={verify.isPending}
          onClick={() => verify.mutate(undefined, { onSuccess: () => setCheckedAt(new Date()) })}
        >
          {verify.isPending ? "Verifying…" : "Verify audit trail"}
        </button>
        <button type="button" className="button" data-testid="audit-export-json" disabled={exportAs.isPending} onClick={() => exportAs.mutate("json")}>
          Export JSON
        </button>
        <button type="button" className="button" data-testid="audit-export-csv" disabled={exportAs.isPending} onClick={() => exportAs.mutate("csv")}>
          Export CSV
        </button>
      </div>
      {result && !result.broken && (
        <p className="audit-result audit-intact" data-testid="audit-result">
          <strong>Intact.</strong> {result.verified} version{result.verified === 1 ? "" : "s"}
          {result.runs > 1 ? ` of this run and ${result.runs - 1} it was forked from` : ""} verified
          {result.unhashed > 0 ? `; ${result.unhashed} older version${result.unhashed === 1 ? "" : "s"} predate the chain` : ""}
          {checkedAt ? ` at ${checkedAt.toLocaleTimeString()}` : ""}.
        </p>
      )}
      {result?.broken && (
        <div className="audit-result audit-broken" role="alert" data-testid="audit-result">
          <strong>Broken</strong> at {result.broken.table}
          {result.broken.seq === null ? "" : ` seq ${result.broken.seq}`}
          {result.broken.runId !== runId && (
            <>
              {" "}of the run it was forked from, <a className="mono" href={hrefs.run(result.broken.runId)}>{result.broken.runId}</a>
            </>
          )}
          : {result.broken.reason}.
        </div>
      )}
      {verify.isError && <ErrorState title="Could not verify the audit trail" error={verify.error} />}
      {exportAs.isError && <ErrorState title="Could not export the audit trail" error={exportAs.error} />}
    </Card>
  );
}
