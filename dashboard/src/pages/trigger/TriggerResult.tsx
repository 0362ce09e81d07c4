import { hrefs } from "../../lib/router.ts";

export type TriggerOutcome =
  | { kind: "run"; runId: string }
  | { kind: "event"; eventId: string; runIds: string[] }
  | { kind: "error"; message: string };

/** Where the submitted payload went: the new run, or the event and the runs it started. */
export function TriggerResult({ outcome }: { outcome: TriggerOutcome }) {
  if (outcome.kind === "error") {
    return (
      <div className="action-result failed" role="alert" data-testid="trigger-result">
        <span className="action-result-text">{outcome.message}</span>
      </div>
    );
  }
  if (outcome.kind === "run") {
    return (
      <div className="action-result ok" role="status" data-testid="trigger-result">
        <span className="action-result-text">
          Run started:{" "}
          <a className="mono" href={hrefs.run(outcome.runId)} data-testid="trigger-run-link">
            {outcome.runId}
          </a>
        </span>
      </div>
    );
  }
  return (
    <div className="action-result ok" role="status" data-testid="trigger-result">
      <span className="action-result-text">
        Event{" "}
        <a className="mono" href={hrefs.event(outcome.eventId)}>
          {outcome.eventId}
        </a>{" "}
        sent.{" "}
        {outcome.runIds.length === 0 ? (
          "No job listens to it, so no run started."
        ) : (
          <>
            Started{" "}
            {outcome.runIds.map((runId, index) => (
              <span key={runId}>
                {index > 0 && ", "}
                <a className="mono" href={hrefs.run(runId)} data-testid="trigger-run-link">
                  {runId}
                </a>
              </span>
            ))}
          </>
        )}
      </span>
    </div>
  );
}
