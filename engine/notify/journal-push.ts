import type { JournalEntry, JournalPush, Metadata, PushedStatus, Run } from "../../sdk/types.ts";

/** A journal entry as a run's stream pushes it: with the status or metadata it changed, so no reader reads them again. */
export function journalPush(entry: JournalEntry): JournalPush {
  if (entry.kind === "status" && entry.output && typeof entry.output === "object") {
    const value = entry.output as Omit<PushedStatus, "updatedAt">;
    return { entry, status: { key: value.key, label: value.label, state: value.state, data: value.data, updatedAt: entry.finishedAt } };
  }
  if (entry.kind === "metadata") return { entry, metadata: entry.output as Metadata };
  return { entry };
}

/**
 * The run as of `entry`, from the run as of the revision before it, when the write left the
 * run's status as it was: such a write moves only the run's revision, its `updatedAt` (the
 * entry's `finishedAt`, the same transaction's `now()`) and, writing metadata, the metadata the
 * entry records (`journal.writeMany`).
 */
export function runAfter(run: Run, entry: JournalEntry): Run {
  return {
    ...run, revision: entry.revision, updatedAt: entry.finishedAt,
    ...(entry.kind === "metadata" ? { metadata: entry.output as Metadata } : {}),
  };
}
