import { useState } from "react";
import { DurablyApiError, useRealtimeRun } from "durably/react";
import { Card } from "../components/Card.tsx";
import { CopyButton } from "../components/CopyButton.tsx";
import { EmptyState } from "../components/EmptyState.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { JsonTree } from "../components/JsonTree.tsx";
import { Loading } from "../components/Loading.tsx";
import { MetadataRollup } from "../components/MetadataRollup.tsx";
import { RunStreams } from "../components/RunStreams.tsx";
import { AsOfSlider } from "./run/AsOfSlider.tsx";
import { AuditSection } from "./run/AuditSection.tsx";
import { MetadataSection } from "./run/MetadataSection.tsx";
import { RunDetails } from "./run/RunDetails.tsx";
import { RunErrorBlock } from "./run/RunErrorBlock.tsx";
import { RunHeader } from "./run/RunHeader.tsx";
import { RunTabs } from "./run/RunTabs.tsx";
import { StatusesSection } from "./run/StatusesSection.tsx";
import { WaitpointsSection } from "./run/WaitpointsSection.tsx";

/** One run, live while it executes: header and actions, statuses, timeline, metadata, data. */
export function RunPage({ runId }: { runId: string }) {
  const { fetchStatus, error, run } = useRealtimeRun(runId);
  // The moment the statuses and metadata are shown as of; undefined: live.
  const [at, setAt] = useState<Date | undefined>(undefined);

  if (fetchStatus === "loading") return <Loading label="Loading run…" />;
  if (fetchStatus === "error") {
    if (error instanceof DurablyApiError && error.status === 404) {
      return (
        <EmptyState title="Run not found">
          <p>
            No run has the id <code>{runId}</code>. <a href="#/runs">Back to runs</a>
          </p>
        </EmptyState>
      );
    }
    return <ErrorState title="Could not load this run" error={error} />;
  }

  const hasOutput = run.output !== null && run.output !== undefined;
  const outputText = JSON.stringify(run.output, null, 2);
  return (
    <div className="page run-page">
      <RunHeader run={run} />
      {run.error && <RunErrorBlock error={run.error} />}
      <div className="run-grid">
        <div className="run-main">
          <AsOfSlider runId={run.id} at={at} onChange={setAt} />
          <StatusesSection runId={run.id} at={at} />
          <WaitpointsSection run={run} />
          <RunTabs run={run} />
          <RunStreams runId={run.id} />
          <MetadataSection run={run} at={at} />
          <MetadataRollup runId={run.id} />
          <div className="two-col">
            <Card title="Payload" actions={<CopyButton text={JSON.stringify(run.payload, null, 2)} />}>
              <JsonTree value={run.payload} />
            </Card>
            <Card title="Output" actions={run.isCompleted && hasOutput && <CopyButton text={outputText} />} testId="run-output">
              {run.isCompleted ? (
                !hasOutput ? (
                  <p className="muted">{run.status === "SUCCESS" ? "No output." : "No output: the run did not succeed."}</p>
                ) : (
                  <JsonTree value={run.output} />
                )
              ) : (
                <p className="muted">The output appears when the run finishes.</p>
              )}
            </Card>
          </div>
        </div>
        <aside className="run-side">
          <RunDetails run={run} />
          <AuditSection runId={run.id} />
        </aside>
      </div>
    </div>
  );
}
