import { useMemo } from "react";
import { changesUntil } from "../as-of.ts";
import { fetchRunMetadataHistory } from "../queries.ts";
import type { MetadataHistory } from "../types.ts";
import { toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useLiveSnapshot, type SnapshotOf } from "./use-live-snapshot.ts";

export type RunMetadataHistoryResult = FetchResult<MetadataHistory>;

const historyOf: SnapshotOf<MetadataHistory> = (context, runId) => ({
  queryKey: context.keys.runMetadataHistory(runId),
  queryFn: fetchRunMetadataHistory(context, runId),
});

/**
 * Every change to the run's metadata, oldest first, and the run's state it is complete up to
 * (`run`); refreshed as metadata writes are pushed while that state is unfinished. With `at`, only
 * the changes committed by then: the last one's `metadata` is the metadata at that moment.
 */
export function useRunMetadataHistory(runId: string | undefined, options: { at?: Date | undefined } = {}): RunMetadataHistoryResult {
  const { data, error } = useLiveSnapshot(runId, historyOf, (history) => history.run.status);
  const at = options.at?.getTime();
  const view = useMemo(() => (data && at !== undefined ? { ...data, changes: changesUntil(data.changes, new Date(at)) } : data), [data, at]);
  return useMemo(() => toFetchResult(view, error, { run: undefined, changes: undefined }), [view, error]);
}
