import { useRunMetadataHistory, useRunStatuses } from "durably/react";
import { formatDateTime } from "../../lib/format.ts";

/**
 * A slider over the moments the run's statuses and metadata changed: at each step the page shows
 * them as a user saw them then; the last step is live.
 */
export function AsOfSlider({ runId, at, onChange }: { runId: string; at: Date | undefined; onChange: (at: Date | undefined) => void }) {
  const { statuses } = useRunStatuses(runId);
  const { changes } = useRunMetadataHistory(runId);
  const moments = [
    ...new Set([
      ...(statuses ?? []).flatMap((status) => [...status.history.map((version) => version.at), status.updatedAt]),
      ...(changes ?? []).map((change) => change.at),
    ].map((iso) => Date.parse(iso))),
  ].sort((a, b) => a - b);
  if (moments.length === 0) return null;
  const index = at === undefined ? moments.length : Math.max(0, moments.findLastIndex((moment) => moment <= at.getTime()));
  return (
    <div className="as-of" data-testid="as-of">
      <label>
        <span>{at === undefined ? "Live" : `As of ${formatDateTime(new Date(moments[index]!).toISOString())} (change ${index + 1} of ${moments.length})`}</span>
        <input
          type="range" min={0} max={moments.length} step={1} value={index} aria-label="Show statuses and metadata as of"
          onChange={(event) => {
            const step = Number(event.target.value);
            onChange(step >= moments.length ? undefined : new Date(moments[step]!));
          }}
        />
      </label>
      {at !== undefined && (
        <button type="button" className="button small" onClick={() => onChange(undefined)}>
          Back to live
        </button>
      )}
    </div>
  );
}
