import { getBackend } from "./backend.ts";
import { bulk } from "./bulk.ts";
import { purge } from "./purge.ts";
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

interface SubscribeToRun {
  <TPayload, TOutput>(handle: RunHandle<TPayload, TOutput>): AsyncIterableIterator<Run<TPayload, TOutput>>;
  <TTask extends AnyTask = AnyTask>(run: string | RunHandle): AsyncIterableIterator<RunOf<TTask>>;
}

/** An iterator usable at once, whose source (the backend's) is made on the first `next`. */
function lazyIterator<T>(open: () => Promise<AsyncIterableIterator<T>>): AsyncIterableIterator<T> {
  let source: Promise<AsyncIterableIterator<T>> | undefined;
  let done = false;
  return {
    async next() {
      if (done) return { value: undefined, done: true };
      return (await (source ??= open())).next();
    },
    async return() {
      done = true;
      await (await source?.catch(() => undefined))?.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Reading and steering runs from backend code. */
export const runs = {
  retrieve: (async (run: string | RunHandle) => (await getBackend()).retrieveRun(idOf(run))) as ReadRun<[]>,
  async list(filter: ListRunsFilter = {}): Promise<RunList> {
    return (await getBackend()).listRuns(filter);
  },
  /** Resolves with the run once it has finished (SUCCESS, FAILURE or CANCELED); default timeout 60 s. */
  poll: (async (run: string | RunHandle, options: { timeoutMs?: number | undefined } = {}) =>
    (await getBackend()).pollRun(idOf(run), options.timeoutMs ?? 60_000)) as ReadRun<[options?: { timeoutMs?: number | undefined }]>,
  /**
   * The run's snapshots as it changes, from the current one, each at a newer `revision`; the
   * iterator ends after the snapshot where the run finished. It survives a dropped connection.
   */
  subscribeToRun: ((run: string | RunHandle) => lazyIterator(async () => (await getBackend()).subscribeToRun(idOf(run)))) as SubscribeToRun,
  /** Snapshots of the runs carrying `tag`: its newest runs first, then each change; never ends by itself (`break`). */
  subscribeToRunsWithTag<TTask extends AnyTask = AnyTask>(tag: string): AsyncIterableIterator<RunOf<TTask>> {
    return lazyIterator(async () => (await getBackend()).subscribeToRunsWithTag(tag)) as AsyncIterableIterator<RunOf<TTask>>;
  },
  /** Snapshots of the runs of a batch (`batchTrigger`'s `batchId`) as they change; ends once all have finished. */
  subscribeToBatch<TTask extends AnyTask = AnyTask>(batchId: string): AsyncIterableIterator<RunOf<TTask>> {
    return lazyIterator(async () => (await getBackend()).subscribeToBatch(batchId)) as AsyncIterableIterator<RunOf<TTask>>;
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
  /** Retry, cancel, replay or fork every run a filter matches, with progress. */
  bulk,
  /** Deletes finished runs older than `olderThan` with all they owned (docs/retention.md). */
  purge,
};
