import { useMemo } from "react";
import { fetchRun } from "../queries.ts";
import type { Run } from "../types.ts";
import { toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useLiveSnapshot, type SnapshotOf } from "./use-live-snapshot.ts";

export type RealtimeRunResult = FetchResult<{ run: Run }>;

const theRun: SnapshotOf<Run> = (context, runId) => ({ queryKey: context.keys.run(runId), queryFn: fetchRun(context, runId) });

/** The whole run, including its live `metadata`, kept current over SSE while it is unfinished. */
export function useRealtimeRun(runId: string | undefined): RealtimeRunResult {
  const { data, error } = useLiveSnapshot(runId, theRun, (run) => run.status);
  return useMemo(() => toFetchResult(data ? { run: data } : undefined, error, { run: undefined }), [data, error]);
}
