import { RUN_STATUSES, useDurably } from "durably/react";
import { EmptyState } from "../components/EmptyState.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { Loading } from "../components/Loading.tsx";
import { Sparkline } from "../components/Sparkline.tsx";
import { apiRequest } from "../lib/api-request.ts";
import { useEngineQuery } from "../lib/use-engine-query.ts";
import { formatDuration } from "../lib/format.ts";
import { hrefs } from "../lib/router.ts";
import type { OnTheWire, TasksOverview } from "../../../wire/index.ts";

type Overview = OnTheWire<TasksOverview>;

const REFRESH_MS = 10_000;

/** What is deployed and how it runs: every task's versions, queue, and its runs of the last hour. */
export function TasksPage() {
  const { api, keys } = useDurably();
  const result = useEngineQuery({
    queryKey: [...keys.root, "tasks", "overview"],
    queryFn: () => apiRequest<Overview>(api, "GET", "/api/tasks/overview"),
    refetchInterval: REFRESH_MS,
  });

  return (
    <div className="page">
      <div className="page-header">
        <h1>Tasks</h1>
        <span className="muted small">Runs created in the last hour</span>
      </div>
      {result.loading && <Loading label="Loading tasks…" />}
      {result.error && <ErrorState title="Could not load the tasks" error={result.error} />}
      {result.data &&
        (result.data.data.length === 0 ? (
          <EmptyState title="No tasks yet">
            <p>Tasks appear here once an engine that runs them has started.</p>
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table tasks-table" data-testid="tasks-table">
              <thead>
                <tr>
                  <th>Task</th>
                  <th>Versions</th>
                  <th>Queue</th>
                  <th>Runs by status</th>
                  <th className="num">p50</th>
                  <th className="num">p95</th>
                  <th>Last hour</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {result.data.data.map((task) => {
                  const total = task.buckets.reduce((sum, n) => sum + n, 0);
                  return (
                    <tr key={task.id} data-testid={`task-row-${task.id}`}>
                      <td>
                        <a className="mono" href={hrefs.runs(new URLSearchParams({ task: task.id }))}>
                          {task.id}
                        </a>{" "}
                        <span className="muted small">{task.kind === "job" ? `job · ${task.eventName ?? ""}` : "task"}</span>
                      </td>
                      <td className="mono small" title={task.versions.join(", ")} data-testid="task-versions">
                        <strong>{task.versions[0]}</strong>
                        {task.versions.length > 1 && <span className="muted"> +{task.versions.length - 1} earlier</span>}
                      </td>
                      <td className="small" data-testid="task-queue">
                        {task.queue ?? <span className="muted">—</span>}
                        {task.concurrencyLimit !== null && <span className="muted"> · limit {task.concurrencyLimit}</span>}
                        {task.rateLimit && (
                          <span className="muted" data-testid="task-rate-limit">
                            {" "}· rate {task.rateLimit.startedInPeriod}/{task.rateLimit.limit} per {formatDuration(task.rateLimit.periodMs)}
                          </span>
                        )}
                        {task.queued > 0 && (
                          <span className="muted" data-testid="task-queued">
                            {" "}· {task.queued} queued{task.topPriority !== null ? `, top priority ${task.topPriority} s` : ""}
                          </span>
                        )}
                      </td>
                      <td data-testid="task-counts">
                        <span className="status-counts">
                          {RUN_STATUSES.filter((status) => task.counts[status] > 0).map((status) => (
                            <span key={status} className="status-count" title={status} data-status={status}>
                              <span className={`dot run-${status.toLowerCase()}`} /> {task.counts[status]}
                            </span>
                          ))}
                          {total === 0 && <span className="muted small">no runs</span>}
                        </span>
                      </td>
                      <td className="num small" data-testid="task-p50">{task.p50Ms === null ? "—" : formatDuration(task.p50Ms)}</td>
                      <td className="num small" data-testid="task-p95">{task.p95Ms === null ? "—" : formatDuration(task.p95Ms)}</td>
                      <td>
                        <Sparkline values={task.buckets} label={`${total} runs in the last hour, by 5-minute interval`} />
                      </td>
                      <td>
                        {task.kind === "task" && (
                          <a className="small" href={hrefs.trigger(task.id)}>
                            Trigger
                          </a>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ))}
    </div>
  );
}
