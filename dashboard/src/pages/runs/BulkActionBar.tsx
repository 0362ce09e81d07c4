import { useState } from "react";
import { useDurably, type BulkAction, type BulkActionRequest, type RunFilters } from "durably/react";
import { useBulkProgress } from "./use-bulk-progress.ts";

type Kind = "retry" | "replay" | "cancel";
const LABELS: Record<Kind, string> = { retry: "Retry", replay: "Replay", cancel: "Cancel" };

type Step =
  | { kind: "idle" }
  | { kind: "confirm"; action: Kind; count: number }
  | { kind: "running"; action: BulkAction }
  | { kind: "failed"; message: string };

/**
 * Acts on the runs picked in the table, or on every run the filters match: asks the engine how
 * many runs that is (a dry run), acts once confirmed, and follows the action's progress as the
 * engine pushes it.
 */
export function BulkActionBar({ filter, selected, allMatching, onDone }: {
  filter: BulkActionRequest["filter"];
  selected: string[];
  allMatching: boolean;
  onDone: () => void;
}) {
  const { api } = useDurably();
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const scope: BulkActionRequest["filter"] = allMatching ? filter : { runIds: selected };
  // The action as started, then as the engine pushes its progress.
  const running = useBulkProgress(step.kind === "running" ? step.action : null);

  const ask = (action: Kind) =>
    api.startBulkAction({ action, filter: scope, dryRun: true }).then(
      (answer) => setStep({ kind: "confirm", action, count: "count" in answer ? answer.count : answer.total }),
      (error: Error) => setStep({ kind: "failed", message: error.message }),
    );
  const start = (action: Kind) =>
    api.startBulkAction({ action, filter: scope }).then(
      (answer) => ("id" in answer ? setStep({ kind: "running", action: answer }) : setStep({ kind: "idle" })),
      (error: Error) => setStep({ kind: "failed", message: error.message }),
    );

  if (running) {
    const done = running.succeeded + running.failed;
    const share = running.total === 0 ? 1 : done / running.total;
    return (
      <div className="bulk-bar" data-testid="bulk-progress">
        <span>
          {LABELS[running.action as Kind] ?? running.action}: {done} of {running.total} runs
          {running.status === "COMPLETED" && ` — ${running.succeeded} done, ${running.failed} could not be`}
        </span>
        <div className="bulk-progress" role="progressbar" aria-valuemin={0} aria-valuemax={running.total} aria-valuenow={done}>
          <div className="bulk-progress-fill" style={{ width: `${Math.round(share * 100)}%` }} />
        </div>
        {running.status === "COMPLETED" && (
          <button type="button" className="button" data-testid="bulk-close" onClick={() => { setStep({ kind: "idle" }); onDone(); }}>
            Close
          </button>
        )}
      </div>
    );
  }
  if (step.kind === "confirm") {
    return (
      <div className="bulk-bar" data-testid="bulk-confirm">
        <span>
          {LABELS[step.action]} {step.count} run{step.count === 1 ? "" : "s"}?
        </span>
        <button type="button" className={`button ${step.action === "cancel" ? "danger" : "primary"}`} data-testid="bulk-confirm-button" disabled={step.count === 0} onClick={() => start(step.action)}>
          {LABELS[step.action]} {step.count}
        </button>
        <button type="button" className="button" onClick={() => setStep({ kind: "idle" })}>
          Back
        </button>
      </div>
    );
  }
  return (
    <div className="bulk-bar" data-testid="bulk-bar">
      <span>{allMatching ? "All runs matching the filters" : `${selected.length} selected`}</span>
      {(Object.keys(LABELS) as Kind[]).map((action) => (
        <button key={action} type="button" className="button" data-testid={`bulk-${action}`} onClick={() => void ask(action)}>
          {LABELS[action]}…
        </button>
      ))}
      {step.kind === "failed" && <span className="bulk-error" role="alert">{step.message}</span>}
    </div>
  );
}

/** The runs page's filters as a bulk action's (empty fields left out, as the API wants them). */
export function bulkFilterOf(filters: RunFilters): BulkActionRequest["filter"] {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filters)) {
    if (key === "limit" || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    out[key] = value;
  }
  return out as BulkActionRequest["filter"];
}
