import { Fragment, type ReactNode } from "react";
import { isFinalRunStatus, useRunJournal, type JournalEntry, type Run } from "durably/react";
import { Card } from "../../components/Card.tsx";
import { ErrorState } from "../../components/ErrorState.tsx";
import { Loading } from "../../components/Loading.tsx";
import { useNow } from "../../lib/use-now.ts";
import { JournalRow } from "./JournalRow.tsx";
import type { LogLine } from "./logs/log-types.ts";
import { TimelineLogRows } from "./logs/TimelineLogRows.tsx";

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

/**
 * Every io call the run made, one row each, with a bar placing it in the run's lifetime, and the
 * lines the run logged under the call they belong to. `tabs` takes the place of the title.
 */
export function JournalTimeline({ run, logs = [], tabs }: { run: Run; logs?: LogLine[]; tabs?: ReactNode }) {
  const { fetchStatus, error, entries } = useRunJournal(run.id);
  const now = useNow(!isFinalRunStatus(run.status));

  return (
    <Card title={tabs ?? `Timeline${entries ? ` (${entries.length})` : ""}`}>
      {fetchStatus === "loading" && <Loading />}
      {fetchStatus === "error" && <ErrorState title="Could not load the journal" error={error} />}
      {fetchStatus === "success" &&
        (entries.length === 0 && logs.length === 0 ? (
          <p className="muted" data-testid="journal-empty">
            {isFinalRunStatus(run.status) ? "This run finished without making any io calls." : "No io calls recorded yet."}
          </p>
        ) : (
          <JournalTable entries={entries} logs={logs} span={timelineSpan(run, entries, now)} now={now} />
        ))}
    </Card>
  );
}

function JournalTable({ entries, logs, span, now }: { entries: JournalEntry[]; logs: LogLine[]; span: Span; now: number }) {
  const shown = new Set(entries.map((entry) => entry.seq));
  // Grouped once: a chatty run has thousands of lines and as many entries.
  const bySeq = new Map<number, LogLine[]>();
  for (const line of logs) {
    const group = bySeq.get(line.seq);
    if (group) group.push(line);
    else bySeq.set(line.seq, [line]);
  }
  const linesAt = (seq: number) => bySeq.get(seq) ?? [];
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
          <TimelineLogRows lines={linesAt(0)} />
          {entries.map((entry) => (
            <Fragment key={entry.seq}>
              <JournalRow entry={entry} spanStart={span.start} spanLength={span.length} end={entryEnd(entry, now)} />
              <TimelineLogRows lines={linesAt(entry.seq)} />
            </Fragment>
          ))}
          {/* Lines of a call whose entry has not arrived yet (a step still running). */}
          <TimelineLogRows lines={logs.filter((line) => line.seq !== 0 && !shown.has(line.seq))} />
        </tbody>
      </table>
    </div>
  );
}
