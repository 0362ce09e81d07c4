import { RUN_STATUSES, type RunCounts, type RunStatus } from "durably/react";

const ESTIMATE_TITLE = "Estimated by PostgreSQL from its statistics: counting every run on each refresh would read them all";
const AT_LEAST_TITLE = "At least this many: counting stopped here rather than read every matching run on each refresh";

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
  atLeast,
  selected,
  onChange,
}: {
  counts: RunCounts | undefined;
  /** Statuses whose count is an estimate, shown rounded with a "~". */
  estimated: readonly RunStatus[];
  /** Statuses whose count is a lower bound, shown with a "+". */
  atLeast: readonly RunStatus[];
  selected: RunStatus[];
  onChange: (next: RunStatus[]) => void;
}) {
  const total = counts ? RUN_STATUSES.reduce((sum, status) => sum + counts[status], 0) : undefined;
  type Kind = "exact" | "estimate" | "atLeast";
  const kindOf = (status: RunStatus): Kind => (estimated.includes(status) ? "estimate" : atLeast.includes(status) ? "atLeast" : "exact");
  const show = (n: number | undefined, kind: Kind) =>
    n === undefined ? "…" : kind === "estimate" ? approximate(n) : kind === "atLeast" ? `${n.toLocaleString("en")}+` : n.toLocaleString("en");
  const countSpan = (n: number | undefined, kind: Kind) => (
    <span
      className="chip-count"
      data-estimated={kind === "estimate" || undefined}
      data-at-least={kind === "atLeast" || undefined}
      title={kind === "estimate" ? ESTIMATE_TITLE : kind === "atLeast" ? AT_LEAST_TITLE : undefined}
    >
      {show(n, kind)}
    </span>
  );
  const toggle = (status: RunStatus) =>
    onChange(selected.includes(status) ? selected.filter((s) => s !== status) : [...selected, status]);
  // The total of counts one of which is an estimate is one; of exact counts and lower bounds, a lower bound.
  const totalKind: Kind = estimated.length > 0 ? "estimate" : atLeast.length > 0 ? "atLeast" : "exact";
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
        {countSpan(total, totalKind)}
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
            {countSpan(counts?.[status], kindOf(status))}
          </button>
      ))}
    </div>
  );
}
