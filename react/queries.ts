/**
 * The fetch functions behind the run queries. Several hooks read the same cache entry (the
 * run page mounts four of them), so each entry is defined once, here. Each compares its answer
 * with the cache as the answer lands, not as the fetch started: changes pushed over the stream
 * while it was on its way may be newer, and the older answer must not undo them.
 */
import type { QueryFunctionContext } from "@tanstack/react-query";
import { preferNewerJournal, preferNewerMetadataHistory, preferNewerRun, preferNewerSnapshot } from "./client/cache-updates.ts";
import type { DurablyContextValue } from "./context.ts";
import type { MetadataHistory, Run, RunJournal, RunStatusesSnapshot } from "./types.ts";

/**
 * Pushed updates keep a watched snapshot current, so a remount within this window reuses it
 * (the stream resumes from its revision) instead of refetching.
 */
export const SNAPSHOT_STALE_MS = 5_000;

type Fetch<T> = (context: QueryFunctionContext) => Promise<T>;

export function fetchRun({ api, keys, queryClient }: DurablyContextValue, runId: string): Fetch<Run> {
  return async ({ signal }) => {
    const fetched = await api.getRun(runId, { signal });
    return preferNewerRun(queryClient.getQueryData<Run>(keys.run(runId)), fetched);
  };
}

export function fetchRunStatuses(
  { api, keys, queryClient }: DurablyContextValue,
  runId: string,
): Fetch<RunStatusesSnapshot> {
  return async ({ signal }) => {
    const fetched = await api.getRunStatuses(runId, { signal });
    return preferNewerSnapshot(queryClient.getQueryData<RunStatusesSnapshot>(keys.runStatuses(runId)), fetched);
  };
}

export function fetchRunJournal({ api, keys, queryClient }: DurablyContextValue, runId: string): Fetch<RunJournal> {
  return async ({ signal }) => {
    const fetched = await api.getRunJournal(runId, { signal });
    return preferNewerJournal(queryClient.getQueryData<RunJournal>(keys.runJournal(runId)), fetched);
  };
}

export function fetchRunMetadataHistory({ api, keys, queryClient }: DurablyContextValue, runId: string): Fetch<MetadataHistory> {
  return async ({ signal }) => {
    const fetched = await api.getRunMetadataHistory(runId, { signal });
    return preferNewerMetadataHistory(queryClient.getQueryData<MetadataHistory>(keys.runMetadataHistory(runId)), fetched);
  };
}
