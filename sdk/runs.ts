import { getBackend } from "./backend.ts";
import type { ListRunsFilter, Run, RunList } from "./types.ts";

/** Reading and steering runs from backend code. */
export const runs = {
  async retrieve(id: string): Promise<Run> {
    return (await getBackend()).retrieveRun(id);
  },
  async list(filter: ListRunsFilter = {}): Promise<RunList> {
    return (await getBackend()).listRuns(filter);
  },
  /** Resolves with the run once it has finished (SUCCESS, FAILURE or CANCELED). */
  async poll(id: string, options: { timeoutMs?: number } = {}): Promise<Run> {
    return (await getBackend()).pollRun(id, options.timeoutMs ?? 60_000);
  },
  /** Resumes a failed run: completed steps are not re-run, the failed step is. */
  async retry(id: string): Promise<{ id: string }> {
    return (await getBackend()).retryRun(id);
  },
  /** Starts a new run of the same task with the same payload. */
  async replay(id: string): Promise<{ id: string }> {
    return (await getBackend()).replayRun(id);
  },
  async cancel(id: string): Promise<{ id: string }> {
    return (await getBackend()).cancelRun(id);
  },
};
