import { isFinalRunStatus, useRunJournal, type JournalEntry, type Run } from "durably/react";
import { Card } from "../../components/Card.tsx";
import { ErrorState } from "../../components/ErrorState.tsx";
import { Loading } from "../../components/Loading.tsx";
import { formatClock, formatDuration } from "../../lib/format.ts";
import { useNow } from "../../lib/use-now.ts";
import { KindLabel } from "./KindLabel.tsx";

interface Span {
  start: number;
  length: number;
}

/**
 * When an entry's work ended. A wait is journaled when it starts and its output is the wake-up
 * time, so its bar runs to that instant (or to now, while it still sleeps).
 */
function entryEnd(entry: JournalEntry, now: number): number {
  if (entry.kind === "wait" && typeof entry.output === "string") {
    const wake = Date.parse(entry.output);
    if (!Number.isNaN(wake)) return Math.min(wake, now);
  }
  return entry.finishedAt ? Date.parse(entry.finishedAt) : now;
}

/** The window every bar is drawn against: run start to run end (or now, while it runs). */
function timelineSpan(run: Run, entries: JournalEntry[], now: number): Span {
  const starts = entries.map((e) => Date.parse(e.startedAt));
  const start = Math.min(Date.parse(run.startedAt ?? run.createdAt), ...starts);
  const ends = entries.map((e) => entryEnd(e, now));
  const end = Math.max(run.finishedAt ? Date.parse(run.finishedAt) : now, ...ends);
  return { start, length: Math.max(1, end - start) };
}

/** Every io call the run made, one row each, with a bar placing it in the run's lifetime. */
export function JournalTimeline({ run }: { run: Run }) {
  const { fetchStatus, error, entries } = useRunJournal(run.id);
  const now = useNow(!isFinalRunStatus(run.status));

  return (
    <Card title={`Timeline${entries ? ` (${entries.length})` : ""}`}>
      {fetchStatus === "loading" && <Loading />}
      {fetchStatus === "error" && <ErrorState title="Could not load the journal" error={error} />}
      {fetchStatus === "success" &&
        (entries.length === 0 ? (
          <p className="muted">No io calls recorded yet.</p>
        ) : (
          <JournalTable entries={entries} span={timelineSpan(run, entries, now)} now={now} />
        ))}
    </Card>
  );
}

function JournalTable({ entries, span, now }: { entries: JournalEntry[]; span: Span; now: number }) {
  return (
    <div className="table-wrap">
      <table className="table timeline" data-testid="journal">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Kind</th>
            <th>Key</th>
            <th>Start</th>
            <th className="timeline-col">Duration</th>
            <th className="num" />
            <th className="num">Attempts</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const start = Date.parse(entry.startedAt);
            const end = entryEnd(entry, now);
            const left = ((start - span.start) / span.length) * 100;
            const width = ((end - start) / span.length) * 100;
            return (
              <tr key={entry.seq} className={entry.status === "failed" ? "row-failed" : ""} data-testid={`journal-entry-${entry.seq}`}>
                <td className="num muted">{entry.seq}</td>
                <td>
                  <KindLabel kind={entry.kind} />
                </td>
                <td className="mono key-cell" title={entry.key}>
                  {entry.key}
                </td>
                <td className="mono small nowrap" title={formatClock(entry.startedAt)}>
                  +{formatDuration(start - span.start)}
                </td>
                <td className="timeline-col">
                  <div className="timeline-track">
                    <div
                      className={`timeline-bar kind-${entry.kind} ${entry.status} ${entry.finishedAt ? "" : "open"}`}
                      style={{ left: `${left}%`, width: `max(2px, ${width}%)` }}
                    />
                  </div>
                </td>
                <td className="num small">{formatDuration(end - start)}</td>
                <td className={`num ${entry.attempts > 1 ? "attempts-many" : ""}`}>{entry.attempts}</td>
                <td className="error-cell">
                  {entry.error && (
                    <details>
                      <summary>
                        {entry.error.name}: {entry.error.message}
                      </summary>
                      {entry.error.stack && <pre className="stack">{entry.error.stack}</pre>}
                    </details>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
