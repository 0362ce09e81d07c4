import { getBackend } from "./backend.ts";
import type { AnyTask, TaskOutput, TaskPayload } from "./tasks.ts";
import type { RunHandle } from "./trigger.ts";
import type { ListRunsFilter, Run, RunList } from "./types.ts";

/** A run of `TTask`, typed by its payload and output. */
type RunOf<TTask extends AnyTask> = Run<TaskPayload<TTask>, TaskOutput<TTask>>;

/** A run read through a handle is typed by it; one read by id, by the task given as a type argument. */
interface ReadRun<TArgs extends unknown[]> {
  <TPayload, TOutput>(handle: RunHandle<TPayload, TOutput>, ...args: TArgs): Promise<Run<TPayload, TOutput>>;
  <TTask extends AnyTask = AnyTask>(run: string | RunHandle, ...args: TArgs): Promise<RunOf<TTask>>;
}

const idOf = (run: string | RunHandle) => (typeof run === "string" ? run : run.id);

/** Reading and steering runs from backend code. */
export const runs = {
  retrieve: (async (run: string | RunHandle) => (await getBackend()).retrieveRun(idOf(run))) as ReadRun<[]>,
  async list(filter: ListRunsFilter = {}): Promise<RunList> {
    return (await getBackend()).listRuns(filter);
  },
  /** Resolves with the run once it has finished (SUCCESS, FAILURE or CANCELED); default timeout 60 s. */
  poll: (async (run: string | RunHandle, options: { timeoutMs?: number | undefined } = {}) =>
    (await getBackend()).pollRun(idOf(run), options.timeoutMs ?? 60_000)) as ReadRun<[options?: { timeoutMs?: number | undefined }]>,
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
