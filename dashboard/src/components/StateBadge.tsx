import type { StatusState } from "durably/react";

/** The `state` of a status (loading / success / failure), or nothing when it has none. */
export function StateBadge({ state }: { state: StatusState }) {
  if (state === null) return <span className="state state-none">no state</span>;
  return (
    <span className={`state state-${state}`}>
      {state === "loading" && <span className="spinner" aria-hidden="true" />}
      {state}
    </span>
  );
}
