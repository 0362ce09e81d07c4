import type { Run } from "durably/react";
import { CopyButton } from "../../components/CopyButton.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { hrefs } from "../../lib/router.ts";
import { RunActions } from "./RunActions.tsx";

export function RunHeader({ run }: { run: Run }) {
  return (
    <div className="run-header">
      <div className="run-title">
        <nav className="breadcrumb">
          <a href={hrefs.runs()}>Runs</a> <span aria-hidden="true">›</span>{" "}
          <a href={hrefs.runs(new URLSearchParams({ task: run.taskIdentifier }))}>{run.taskIdentifier}</a>
        </nav>
        <h1>
          <span className="mono">{run.id}</span> <CopyButton text={run.id} />
        </h1>
        <div className="run-title-status">
          <StatusBadge status={run.status} testId="run-status" />
          {run.attempts > 1 && <span className="muted small">attempt {run.attempts}</span>}
        </div>
      </div>
      <RunActions run={run} />
    </div>
  );
}
