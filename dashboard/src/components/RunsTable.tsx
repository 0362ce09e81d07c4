import { isFinalRunStatus, type Run } from "durably/react";
import { durationBetween, formatDateTime, formatDuration, formatRelative } from "../lib/format.ts";
import { hrefs, navigate } from "../lib/router.ts";
import { useNow } from "../lib/use-now.ts";
import { StatusBadge } from "./StatusBadge.tsx";
import { Tags } from "./Tags.tsx";

/** Runs as rows (id, task, status, created, duration, tags); a row opens its run. */
export function RunsTable({ runs, testId }: { runs: Run[]; testId?: string }) {
  const now = useNow(runs.some((run) => !isFinalRunStatus(run.status)));
  return (
    <div className="table-wrap">
      <table className="table runs-table" data-testid={testId}>
        <thead>
          <tr>
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
                if (event.target instanceof HTMLElement && event.target.closest("a")) return;
                navigate(hrefs.run(run.id));
              }}
            >
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
