import { useState, type ReactNode } from "react";
import { isFinalRunStatus, type Run } from "durably/react";
import { Card } from "../../components/Card.tsx";
import { JournalTimeline } from "./JournalTimeline.tsx";
import { RunLogsPanel } from "./logs/RunLogsPanel.tsx";
import { useRunLogs } from "./logs/use-run-logs.ts";

const NO_FILTER = { levels: [], search: "" };

/** The run's timeline (with its log lines at their journal positions) and its Logs tab. */
export function RunTabs({ run }: { run: Run }) {
  const [tab, setTab] = useState<"timeline" | "logs">("timeline");
  const tabs = (
    <div className="tabs" role="tablist">
      {(["timeline", "logs"] as const).map((name) => (
        <button
          key={name}
          type="button"
          role="tab"
          aria-selected={tab === name}
          className={`tab ${tab === name ? "active" : ""}`}
          data-testid={`run-tab-${name}`}
          onClick={() => setTab(name)}
        >
          {name === "timeline" ? "Timeline" : "Logs"}
        </button>
      ))}
    </div>
  );
  if (tab === "timeline") return <TimelineWithLogs run={run} tabs={tabs} />;
  return (
    <Card title={tabs}>
      <RunLogsPanel run={run} />
    </Card>
  );
}

function TimelineWithLogs({ run, tabs }: { run: Run; tabs: ReactNode }) {
  const logs = useRunLogs(run.id, NO_FILTER, !isFinalRunStatus(run.status));
  return <JournalTimeline run={run} logs={logs.lines ?? []} tabs={tabs} />;
}
