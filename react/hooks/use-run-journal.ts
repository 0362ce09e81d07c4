import { useMemo } from "react";
import { fetchRunJournal } from "../queries.ts";
import type { RunJournal } from "../types.ts";
import { toFetchResult, type FetchResult } from "./fetch-result.ts";
import { useLiveSnapshot, type SnapshotOf } from "./use-live-snapshot.ts";

export type RunJournalResult = FetchResult<RunJournal>;

const journalOf: SnapshotOf<RunJournal> = (context, runId) => ({ queryKey: context.keys.runJournal(runId), queryFn: fetchRunJournal(context, runId) });

/**
 * The run's journal (every recorded io call, in `seq` order) and the run's state it is complete
 * up to (`run`), live while that state is unfinished.
 */
export function useRunJournal(runId: string | undefined): RunJournalResult {
  const { data, error } = useLiveSnapshot(runId, journalOf, (journal) => journal.run.status);
  return useMemo(() => toFetchResult(data, error, { run: undefined, entries: undefined }), [data, error]);
}
