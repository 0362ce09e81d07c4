import { isFinalRunStatus, type Run } from "durably/react";
import { durationBetween, formatDateTime, formatDuration, formatRelative } from "../lib/format.ts";
import { hrefs, navigate } from "../lib/router.ts";
import { useNow } from "../lib/use-now.ts";
import { StatusBadge } from "./StatusBadge.tsx";
import { Tags } from "./Tags.tsx";

/** Runs picked by a checkbox per row (for bulk actions). */
export interface RunSelection {
  selected: ReadonlySet<string>;
  toggle: (runId: string) => void;
  toggleAll: () => void;
}

/** Runs as rows (id, task, status, created, duration, tags); a row opens its run. */
export function RunsTable({ runs, testId, selection }: { runs: Run[]; testId?: string; selection?: RunSelection }) {
  const now = useNow(runs.some((run) => !isFinalRunStatus(run.status)));
  return (
    <div className="table-wrap">
      <table className="table runs-table" data-testid={testId}>
        <thead>
          <tr>
            {selection && (
              <th className="select">
                <input
                  type="checkbox"
                  aria-label="Select all shown runs"
                  data-testid="select-all-shown"
                  checked={runs.length > 0 && runs.every((run) => selection.selected.has(run.id))}
                  onChange={selection.toggleAll}
                />
              </th>
            )}
            <th>Run</th>
            <th>Task</th>
            <th>Status</th>
            <th>Created</th>
            <th className="num">Duration</th>
            <th>Tags</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr
              key={run.id}
              className="clickable"
              data-testid={`run-row-${run.id}`}
              onClick={(event) => {
                if (event.target instanceof HTMLElement && event.target.closest("a, input")) return;
                navigate(hrefs.run(run.id));
              }}
            >
              {selection && (
                <td className="select">
                  <input
                    type="checkbox"
                    aria-label={`Select ${run.id}`}
                    data-testid={`select-${run.id}`}
                    checked={selection.selected.has(run.id)}
                    onChange={() => selection.toggle(run.id)}
                  />
                </td>
              )}
              <td>
                <a className="mono" href={hrefs.run(run.id)}>
                  {run.id}
                </a>
              </td>
              <td>
                <span className="task-name">{run.taskIdentifier}</span>
                {run.taskVersion && <span className="muted small"> v{run.taskVersion}</span>}
              </td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td title={formatDateTime(run.createdAt)}>{formatRelative(run.createdAt, now)}</td>
              <td className="num">{formatDuration(durationBetween(run.startedAt, run.finishedAt, now))}</td>
              <td>
                <Tags tags={run.tags} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
