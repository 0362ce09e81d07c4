import { useState } from "react";
import type { JournalEntry } from "durably/react";
import { formatClock, formatDuration } from "../../lib/format.ts";
import { KindLabel } from "./KindLabel.tsx";

/**
 * One journal entry as a table row with its bar. A failed entry's stack opens in a row of its
 * own under it, across the whole table: squeezed into the error column it was unreadable. A step
 * with a `timeout` shows it beside its duration, and an attempt it cut short says so first.
 */
export function JournalRow({ entry, spanStart, spanLength, end }: { entry: JournalEntry; spanStart: number; spanLength: number; end: number }) {
  const [open, setOpen] = useState(false);
  const start = Date.parse(entry.startedAt);
  const left = ((start - spanStart) / spanLength) * 100;
  const width = ((end - start) / spanLength) * 100;
  const timeoutMs = entry.timeoutMs ?? null;
  const timedOut = entry.status === "failed" && entry.error?.code === "TIMEOUT";
  return (
    <>
      <tr className={entry.status === "failed" ? "row-failed" : ""} data-testid={`journal-entry-${entry.seq}`}>
        <td className="num muted">{entry.seq}</td>
        <td>
          <KindLabel kind={entry.kind} />
        </td>
        <td className="mono key-cell" title={entry.key}>
          {entry.key}
        </td>
        <td className="mono small nowrap" title={formatClock(entry.startedAt)}>
          +{formatDuration(start - spanStart)}
        </td>
        <td className="timeline-col">
          <div className="timeline-track">
            <div
              className={`timeline-bar kind-${entry.kind} ${entry.status} ${entry.finishedAt ? "" : "open"}`}
              style={{ left: `${left}%`, width: `max(2px, ${width}%)` }}
            />
          </div>
        </td>
        <td className="num small">
          {formatDuration(end - start)}
          {timeoutMs !== null && (
            <span className="step-timeout" data-testid="step-timeout" title="The step's timeout: an attempt still running then fails with a TimeoutError and is retried by its policy">
              {" "}/ {formatDuration(timeoutMs)} timeout
            </span>
          )}
        </td>
        <td className={`num ${entry.attempts > 1 ? "attempts-many" : ""}`}>{entry.attempts}</td>
        <td className="error-cell">
          {timedOut && (
            <span className="timed-out" data-testid="step-timed-out">
              Timed out{timeoutMs !== null ? ` after ${formatDuration(timeoutMs)}` : ""}
            </span>
          )}
          {entry.error && (
            <button
              type="button"
              className="error-toggle"
              aria-expanded={open}
              title={`${entry.error.name}: ${entry.error.message}`}
              onClick={() => setOpen((value) => !value)}
            >
              {open ? "▾" : "▸"} {entry.error.name}: {entry.error.message}
            </button>
          )}
        </td>
      </tr>
      {open && entry.error && (
        <tr className="row-failed row-stack">
          <td />
          <td colSpan={7}>
            <pre className="stack">{entry.error.stack ?? `${entry.error.name}: ${entry.error.message}`}</pre>
          </td>
        </tr>
      )}
    </>
  );
}
