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
  /** Cancels the run and every unfinished run it started; an executing run stops at its next io call. */
  async cancel(id: string): Promise<{ id: string }> {
    return (await getBackend()).cancelRun(id);
  },
  /**
   * Starts a new run whose journal is a copy of this run's entries before `fromSeq`: those replay,
   * the rest executes again (for resuming after a fix, from any step).
   */
  async fork(id: string, options: { fromSeq: number }): Promise<{ id: string }> {
    return (await getBackend()).forkRun(id, options);
  },
};
