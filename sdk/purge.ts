import { getBackend } from "./backend.ts";
import type { RetentionDuration } from "./retention.ts";
import type { FinalRunStatus } from "./types.ts";

export interface PurgeRunsOptions {
  /** Runs that finished longer ago than this: seconds, or a duration like "30d". */
  olderThan: RetentionDuration;
  /** Only runs of this task (with the runs they started, whatever their task). */
  task?: string | undefined;
  /** Only runs that ended so; unfinished runs are never purged. */
  status?: FinalRunStatus | FinalRunStatus[] | undefined;
  /** Counts the runs that would go and deletes none. */
  dryRun?: boolean | undefined;
}

export interface PurgeResult {
  /** Runs deleted, or that would be on a dry run (runs they started included). */
  count: number;
  dryRun: boolean;
}

/**
 * Deletes finished runs and everything they owned (journal, history, logs, streams, their pg-boss
 * jobs...). A run goes only with the runs it started and the runs forked from it, and only when
 * all of those are finished and old enough too.
 */
export async function purge(options: PurgeRunsOptions): Promise<PurgeResult> {
  return (await getBackend()).purgeRuns(options);
}
