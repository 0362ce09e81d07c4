import { useState } from "react";
import { isFinalRunStatus, useCancelRun, useReplayRun, useRetryRun, type Run } from "durably/react";
import { hrefs } from "../../lib/router.ts";

interface ActionResult {
  ok: boolean;
  text: string;
  runId?: string;
  /** Set on "this run resumes": the note holds until the run is final again past this revision. */
  whileRetryingFrom?: number;
}

/**
 * Retry (failed or canceled runs: the engine resumes them), Replay (any run), Cancel
 * (unfinished runs), and what came of the last one.
 */
export function RunActions({ run }: { run: Run }) {
  const retry = useRetryRun();
  const replay = useReplayRun();
  const cancel = useCancelRun();
  const [result, setResult] = useState<ActionResult | null>(null);
  const busy = retry.isPending || replay.isPending || cancel.isPending;
  const failed = (action: string) => (error: Error) => setResult({ ok: false, text: `${action} failed: ${error.message}` });
  // The run is still final (the failure retried) until the requeue arrives: only a final state
  // at a later revision means the retried run has finished, and the note is out of date.
  const retryFinished =
    result?.whileRetryingFrom !== undefined && isFinalRunStatus(run.status) && run.revision > result.whileRetryingFrom;
  const shown = retryFinished ? null : result;

  return (
    <div className="run-actions-wrap">
      <div className="run-actions">
        {(run.status === "FAILURE" || run.status === "CANCELED") && (
          <button
            type="button"
            className="button primary"
            disabled={busy}
            data-testid="retry-button"
            onClick={() =>
              retry.mutate(run.id, {
                onSuccess: (handle) =>
                  setResult(
                    handle.id === run.id
                      ? { ok: true, text: "Retry queued: this run resumes from its journal.", whileRetryingFrom: run.revision }
                      : { ok: true, text: "Retry started as", runId: handle.id },
                  ),
                onError: failed("Retry"),
              })
            }
          >
            {retry.isPending ? "Retrying…" : "Retry"}
          </button>
        )}
        <button
          type="button"
          className="button"
          disabled={busy}
          data-testid="replay-button"
          title="Start a new run of this task with the same payload"
          onClick={() =>
            replay.mutate(run.id, {
              onSuccess: (handle) => setResult({ ok: true, text: "Replay started as", runId: handle.id }),
              onError: failed("Replay"),
            })
          }
        >
          {replay.isPending ? "Replaying…" : "Replay"}
        </button>
        {!isFinalRunStatus(run.status) && (
          <button
            type="button"
            className="button danger"
            disabled={busy}
            data-testid="cancel-button"
            onClick={() =>
              cancel.mutate(run.id, {
                onSuccess: () => setResult({ ok: true, text: "Run canceled." }),
                onError: failed("Cancel"),
              })
            }
          >
            {cancel.isPending ? "Canceling…" : "Cancel"}
          </button>
        )}
      </div>
      {shown && (
        <div className={`action-result ${shown.ok ? "ok" : "failed"}`} role="status" data-testid="action-result">
          <span className="action-result-text">
            {shown.text}{" "}
            {shown.runId && (
              <a className="mono" href={hrefs.run(shown.runId)}>
                {shown.runId}
              </a>
            )}
          </span>
          <button type="button" className="dismiss" aria-label="Dismiss" onClick={() => setResult(null)}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}
