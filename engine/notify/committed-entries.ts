import type { JsonJournalRow } from "../db/rows.ts";
import type { Committed } from "./committed.ts";

/**
 * Journal entries this process has just committed, as the change feed sends them, for the
 * run's live streams here. Only entries whose write left the run's status as it was: the run
 * as of such an entry is the one as of the revision before, at the entry's revision, updated at
 * its `finishedAt`, with a metadata entry's metadata (`runAfter`, journal-push.ts), so a stream
 * sends it without reading it.
 */
export type CommittedEntries = Committed<JsonJournalRow>;
