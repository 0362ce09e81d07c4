import { RUN_STATUSES, type RunCounts, type RunStatus } from "durably/react";

const ESTIMATE_TITLE = "Estimated by PostgreSQL from its statistics: counting every run on each refresh would read them all";

/** An estimate to two significant figures, marked as one: "~850,000". */
function approximate(n: number): string {
  const digits = Math.max(0, Math.floor(Math.log10(Math.max(n, 1))) - 1);
  const rounded = Math.round(n / 10 ** digits) * 10 ** digits;
  return `~${rounded.toLocaleString("en")}`;
}

/** Counts per status; each chip toggles that status in the filter, "All" clears it. */
export function StatusChips({
  counts,
  estimated,
  selected,
  onChange,
}: {
  counts: RunCounts | undefined;
  /** Statuses whose count is an estimate, shown rounded with a "~". */
  estimated: readonly RunStatus[];
  selected: RunStatus[];
  onChange: (next: RunStatus[]) => void;
}) {
  const total = counts ? RUN_STATUSES.reduce((sum, status) => sum + counts[status], 0) : undefined;
  const show = (n: number | undefined, isEstimate: boolean) => (n === undefined ? "…" : isEstimate ? approximate(n) : n.toLocaleString("en"));
  const toggle = (status: RunStatus) =>
    onChange(selected.includes(status) ? selected.filter((s) => s !== status) : [...selected, status]);
  const anyEstimate = estimated.length > 0;
  return (
    <div className="chips" role="group" aria-label="Filter by status">
      <button
        type="button"
        className={`chip ${selected.length === 0 ? "selected" : ""}`}
        aria-pressed={selected.length === 0}
        onClick={() => onChange([])}
        data-testid="status-chip-ALL"
      >
        All{" "}
        <span className="chip-count" data-estimated={anyEstimate || undefined} title={anyEstimate ? ESTIMATE_TITLE : undefined}>
          {show(total, anyEstimate)}
        </span>
      </button>
      {RUN_STATUSES.map((status) => {
        const isEstimate = estimated.includes(status);
        return (
          <button
            key={status}
            type="button"
            className={`chip ${selected.includes(status) ? "selected" : ""}`}
            aria-pressed={selected.includes(status)}
            onClick={() => toggle(status)}
            data-testid={`status-chip-${status}`}
          >
            <span className={`dot run-${status.toLowerCase()}`} aria-hidden="true" />
            {status.charAt(0) + status.slice(1).toLowerCase()}
            <span className="chip-count" data-estimated={isEstimate || undefined} title={isEstimate ? ESTIMATE_TITLE : undefined}>
              {show(counts?.[status], isEstimate)}
            </span>
          </button>
        );
      })}
    </div>
  );
}
