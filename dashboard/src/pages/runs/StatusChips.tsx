import { RUN_STATUSES, type RunCounts, type RunStatus } from "durably/react";

/** Counts per status; each chip toggles that status in the filter, "All" clears it. */
export function StatusChips({
  counts,
  selected,
  onChange,
}: {
  counts: RunCounts | undefined;
  selected: RunStatus[];
  onChange: (next: RunStatus[]) => void;
}) {
  const total = counts ? RUN_STATUSES.reduce((sum, status) => sum + counts[status], 0) : undefined;
  const toggle = (status: RunStatus) =>
    onChange(selected.includes(status) ? selected.filter((s) => s !== status) : [...selected, status]);
  return (
    <div className="chips" role="group" aria-label="Filter by status">
      <button
        type="button"
        className={`chip ${selected.length === 0 ? "selected" : ""}`}
        aria-pressed={selected.length === 0}
        onClick={() => onChange([])}
        data-testid="status-chip-ALL"
      >
        All <span className="chip-count">{total ?? "…"}</span>
      </button>
      {RUN_STATUSES.map((status) => (
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
          <span className="chip-count">{counts ? counts[status] : "…"}</span>
        </button>
      ))}
    </div>
  );
}
