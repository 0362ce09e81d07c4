import { hrefs } from "../../lib/router.ts";

export type TriggerOutcome =
  | { kind: "event"; eventId: string; runIds: string[] }
  | { kind: "error"; message: string };

/** Where a sent event went: the event and the runs it started (a triggered task opens its run instead). */
export function TriggerResult({ outcome }: { outcome: TriggerOutcome }) {
  if (outcome.kind === "error") {
    return (
      <div className="action-result failed" role="alert" data-testid="trigger-result">
        <span className="action-result-text">{outcome.message}</span>
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
