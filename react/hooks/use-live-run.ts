import { useEffect } from "react";
import { isFinalRunStatus, type RunStatus } from "../types.ts";
import { useDurably } from "./use-durably.ts";

/**
 * Keeps the run's cached snapshots live while it can still change. Called once the caller's
 * snapshot has loaded (`status` known), so the stream resumes right after it. A finished run
 * is not watched; if it is retried, its refetched status turns the watch back on.
 */
export function useLiveRun(runId: string | undefined, status: RunStatus | undefined): void {
  const { live } = useDurably();
  const watching = runId !== undefined && status !== undefined && !isFinalRunStatus(status);
  useEffect(() => {
    if (!watching || runId === undefined) return;
    return live.watchRun(runId);
  }, [live, runId, watching]);
}
