import type { JournalEntry, JournalPush, Metadata, PushedStatus } from "../../sdk/types.ts";

/** A journal entry as a run's stream pushes it: with the status or metadata it changed, so no reader reads them again. */
export function journalPush(entry: JournalEntry): JournalPush {
  if (entry.kind === "status" && entry.output && typeof entry.output === "object") {
    const value = entry.output as Omit<PushedStatus, "updatedAt">;
    return { entry, status: { key: value.key, label: value.label, state: value.state, data: value.data, updatedAt: entry.finishedAt } };
  }
  if (entry.kind === "metadata") return { entry, metadata: entry.output as Metadata };
  return { entry };
}
