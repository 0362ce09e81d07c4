import type { ReactNode } from "react";
import { isFinalRunStatus, type Run } from "durably/react";
import { Card } from "../../components/Card.tsx";
import { Tags } from "../../components/Tags.tsx";
import { durationBetween, formatDateTime, formatDuration } from "../../lib/format.ts";
import { hrefs } from "../../lib/router.ts";
import { useNow } from "../../lib/use-now.ts";

/** The run's facts as a definition list. */
export function RunDetails({ run }: { run: Run }) {
  const now = useNow(!isFinalRunStatus(run.status));
  const rows: [string, ReactNode][] = [
    ["Task", <a href={hrefs.runs(new URLSearchParams({ task: run.taskIdentifier }))}>{run.taskIdentifier}</a>],
    ["Version", run.taskVersion ?? "—"],
    ["Attempts", run.attempts],
    ["Created", formatDateTime(run.createdAt)],
    ["Started", formatDateTime(run.startedAt)],
    ["Finished", formatDateTime(run.finishedAt)],
    ["Duration", formatDuration(durationBetween(run.startedAt, run.finishedAt, now))],
    ["Tags", <Tags tags={run.tags} />],
  ];
  if (run.eventId) rows.push(["Event", <a className="mono" href={hrefs.event(run.eventId)}>{run.eventId}</a>]);
  if (run.parentRunId) rows.push(["Parent run", <a className="mono" href={hrefs.run(run.parentRunId)}>{run.parentRunId}</a>]);
  if (run.idempotencyKey) rows.push(["Idempotency key", <span className="mono">{run.idempotencyKey}</span>]);
  if (run.maxDuration !== null) rows.push(["Max duration", `${formatDuration(run.maxDuration * 1000)} of execution`]);
  if (run.priority > 0) rows.push(["Priority", `${run.priority} s ahead`]);
  return (
    <Card title="Details">
      <dl className="details">
        {rows.map(([label, value]) => (
          <div key={label} className="details-row">
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
