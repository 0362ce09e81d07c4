import { getBackend } from "./backend.ts";
import type { PurgeResult, PurgeRunsOptions } from "./types.ts";

/**
 * Deletes finished runs and everything they owned (journal, history, logs, streams, their pg-boss
 * jobs...). A run goes only with the runs it started and the runs forked from it, and only when
 * all of those are finished and old enough too.
 */
export async function purge(options: PurgeRunsOptions): Promise<PurgeResult> {
  return (await getBackend()).purgeRuns(options);
}
