import { useMutation } from "@tanstack/react-query";
import { useDurably } from "durably/react";
import { EmptyState } from "../components/EmptyState.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { Loading } from "../components/Loading.tsx";
import { apiRequest } from "../lib/api-request.ts";
import { useEngineQuery } from "../lib/use-engine-query.ts";
import { formatDateTime } from "../lib/format.ts";
import { hrefs } from "../lib/router.ts";
/** A schedule as `GET /api/schedules` sends it (ScheduleRecord, dates as ISO strings). */
interface Schedule {
  id: string;
  task: string;
  cron: string;
  timezone: string;
  deduplicationKey: string;
  declarative: boolean;
  active: boolean;
  nextRun: string | null;
  lastRun: string | null;
}

const REFRESH_MS = 5_000;

/** Every cron schedule: when it fires next and fired last, with pause/resume and delete. */
export function SchedulesPage() {
  const { api, keys, queryClient } = useDurably();
  const queryKey = [...keys.root, "schedules"];
  const result = useEngineQuery({ queryKey, queryFn: () => apiRequest<{ data: Schedule[] }>(api, "GET", "/api/schedules"), refetchInterval: REFRESH_MS });
  const act = useMutation(
    {
      mutationFn: ({ id, action }: { id: string; action: "activate" | "deactivate" | "delete" }) =>
        action === "delete"
          ? apiRequest(api, "DELETE", `/api/schedules/${encodeURIComponent(id)}`)
          : apiRequest(api, "POST", `/api/schedules/${encodeURIComponent(id)}/${action}`),
      onSettled: () => queryClient.invalidateQueries({ queryKey }),
    },
    queryClient,
  );

  return (
    <div className="page">
      <div className="page-header">
        <h1>Schedules</h1>
      </div>
      {act.isError && <ErrorState title="The action failed" error={act.error} />}
      {result.loading && <Loading label="Loading schedules…" />}
      {result.error && <ErrorState title="Could not load the schedules" error={result.error} />}
      {result.data &&
        (result.data.data.length === 0 ? (
          <EmptyState title="No schedules">
            <p>
              Create one with <code>schedules.create({"{ task, cron, deduplicationKey }"})</code> or <code>task({"{ schedule }"})</code>.
            </p>
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="schedules-table">
              <thead>
                <tr>
                  <th>Schedule</th>
                  <th>Task</th>
                  <th>Cron</th>
                  <th>Timezone</th>
                  <th>Next run</th>
                  <th>Last run</th>
                  <th>State</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {result.data.data.map((schedule) => (
                  <tr key={schedule.id} data-testid={`schedule-row-${schedule.deduplicationKey}`}>
                    <td className="mono small" title={schedule.id}>
                      {schedule.deduplicationKey}
                      {schedule.declarative && <span className="muted"> · in code</span>}
                    </td>
                    <td>
                      <a className="mono" href={hrefs.runs(new URLSearchParams({ task: schedule.task }))}>
                        {schedule.task}
                      </a>
                    </td>
                    <td className="mono">{schedule.cron}</td>
                    <td className="small">{schedule.timezone}</td>
                    <td className="small nowrap" data-testid="schedule-next">
                      {schedule.nextRun ? formatDateTime(schedule.nextRun) : <span className="muted">paused</span>}
                    </td>
                    <td className="small nowrap" data-testid="schedule-last">
                      {schedule.lastRun ? formatDateTime(schedule.lastRun) : <span className="muted">never</span>}
                    </td>
                    <td>
                      <span className={`state ${schedule.active ? "state-success" : "state-none"}`} data-testid="schedule-state">
                        {schedule.active ? "active" : "paused"}
                      </span>
                    </td>
                    <td className="nowrap">
                      <button
                        type="button"
                        className="button"
                        disabled={act.isPending}
                        onClick={() => act.mutate({ id: schedule.id, action: schedule.active ? "deactivate" : "activate" })}
                        data-testid="schedule-toggle"
                      >
                        {schedule.active ? "Pause" : "Resume"}
                      </button>{" "}
                      <button
                        type="button"
                        className="button danger"
                        disabled={act.isPending}
                        onClick={() => {
                          if (window.confirm(`Delete schedule ${schedule.deduplicationKey}? It will fire no more runs.`)) {
                            act.mutate({ id: schedule.id, action: "delete" });
                          }
                        }}
                        data-testid="schedule-delete"
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </div>
  );
}
