import { isFinalRunStatus, useRunJournal, type JournalEntry, type Run } from "durably/react";
import { Card } from "../../components/Card.tsx";
import { ErrorState } from "../../components/ErrorState.tsx";
import { Loading } from "../../components/Loading.tsx";
import { useNow } from "../../lib/use-now.ts";
import { JournalRow } from "./JournalRow.tsx";

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
            <th className="timeline-col">Timeline</th>
            <th className="num">Duration</th>
            <th className="num">Attempts</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <JournalRow key={entry.seq} entry={entry} spanStart={span.start} spanLength={span.length} end={entryEnd(entry, now)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
