import { useState } from "react";
import type { JsonValue, Status } from "durably/react";
import { KeyValueTable } from "../../components/KeyValueTable.tsx";
import { ProgressBar } from "../../components/ProgressBar.tsx";
import { StateBadge } from "../../components/StateBadge.tsx";
import { formatClock, formatDateTime } from "../../lib/format.ts";
import { StatusHistory } from "./StatusHistory.tsx";
import { StatusImage } from "./StatusImage.tsx";

const isStringArray = (value: JsonValue | undefined): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/**
 * One status: label and state, `data.progress` (0..1) as a bar, `data.urls` as images, any
 * other data as a table, and its earlier versions on demand.
 */
export function StatusBlock({ status }: { status: Status }) {
  const [showHistory, setShowHistory] = useState(false);
  const data = status.data ?? {};
  const progress = typeof data.progress === "number" && data.progress >= 0 && data.progress <= 1 ? data.progress : undefined;
  const urls = isStringArray(data.urls) ? data.urls : undefined;
  const rest = Object.entries(data).filter(
    ([key]) => !(key === "progress" && progress !== undefined) && !(key === "urls" && urls !== undefined),
  );

  return (
    <div className={`status-block state-border-${status.state ?? "none"}`} data-testid={`status-${status.key}`}>
      <div className="status-head">
        <span className="status-label">{status.label}</span>
        <StateBadge state={status.state} />
        <span className="mono muted small">{status.key}</span>
        <span className="muted small status-updated" title={formatDateTime(status.updatedAt)}>
          {formatClock(status.updatedAt)}
        </span>
      </div>
      {progress !== undefined && <ProgressBar value={progress} />}
      {urls && urls.length > 0 && (
        <div className="status-images">
          {urls.map((url, index) => (
            <StatusImage key={url} url={url} alt={`${status.label || status.key}, image ${index + 1} of ${urls.length}`} />
          ))}
        </div>
      )}
      {rest.length > 0 && <KeyValueTable entries={rest} />}
      <button
        type="button"
        className="button-link small"
        aria-expanded={showHistory}
        onClick={() => setShowHistory((open) => !open)}
        data-testid={`status-history-toggle-${status.key}`}
      >
        {showHistory ? "▾" : "▸"} History ({status.history.length})
      </button>
      {showHistory && <StatusHistory history={status.history} testId={`status-history-${status.key}`} />}
    </div>
  );
}
