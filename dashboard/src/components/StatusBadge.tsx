import type { RunStatus } from "durably/react";

const LABELS: Record<RunStatus, string> = {
  QUEUED: "Queued",
  EXECUTING: "Executing",
  WAITING: "Waiting",
  SUCCESS: "Success",
  FAILURE: "Failure",
  CANCELED: "Canceled",
};

/** The run's state as a coloured pill; its text is the status itself (tests read it). */
export function StatusBadge({ status, testId }: { status: RunStatus; testId?: string }) {
  return (
    <span className={`badge run-${status.toLowerCase()}`} title={LABELS[status]} data-testid={testId}>
      {status}
    </span>
  );
}
