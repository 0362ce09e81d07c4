import type { StatusState } from "durably/react";

/**
 * The `state` of a status (loading / success / failure), or nothing when it has none. Only the
 * current version spins while loading (`live`); a past "loading" in a history table is over.
 */
export function StateBadge({ state, live = true }: { state: StatusState; live?: boolean }) {
  if (state === null) return <span className="state state-none">no state</span>;
  return (
    <span className={`state state-${state}`}>
      {state === "loading" && live && <span className="spinner" aria-hidden="true" />}
      {state}
    </span>
  );
}
