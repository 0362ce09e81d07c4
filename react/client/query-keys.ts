import type { RunFilters } from "../types.ts";

/**
 * Every cache entry durably keeps lives under `["durably", scope, …]`, scope being the engine's
 * base URL, so two engines can share one QueryClient. A run's queries share the prefix
 * `runScope(runId)` so they can be invalidated together (after a retry, say).
 */
export function durablyKeys(scope: string) {
  const root = ["durably", scope] as const;
  return {
    root,
    runScope: (runId: string) => [...root, "run", runId] as const,
    run: (runId: string) => [...root, "run", runId, "detail"] as const,
    runStatuses: (runId: string) => [...root, "run", runId, "statuses"] as const,
    runJournal: (runId: string) => [...root, "run", runId, "journal"] as const,
    runMetadataHistory: (runId: string) => [...root, "run", runId, "metadata-history"] as const,
    runStreams: (runId: string) => [...root, "run", runId, "streams"] as const,
    runStream: (runId: string, key: string) => [...root, "run", runId, "streams", key] as const,
    /** Every stream's key of a run, as its connection found them (`StreamKeys`). */
    runStreamKeys: (runId: string) => [...root, "run", runId, "stream-keys"] as const,
    runLists: () => [...root, "runs", "list"] as const,
    runList: (filters: RunFilters) => [...root, "runs", "list", filters] as const,
    runCountsAll: () => [...root, "runs", "counts"] as const,
    runCounts: (filters: RunFilters) => [...root, "runs", "counts", filters] as const,
    events: () => [...root, "event"] as const,
    event: (eventId: string) => [...root, "event", eventId, "detail"] as const,
    eventStatuses: (eventId: string) => [...root, "event", eventId, "statuses"] as const,
    tasks: () => [...root, "tasks"] as const,
  };
}

export type DurablyKeys = ReturnType<typeof durablyKeys>;

/** Drops empty filter values so `{ tag: "" }` and `{}` share one cache entry. */
export function normalizeFilters(filters: RunFilters): RunFilters {
  const normalized: RunFilters = {};
  if (filters.status && filters.status.length > 0) normalized.status = [...filters.status].sort();
  const plain = ["taskIdentifier", "tag", "eventId", "from", "to", "metadataKey", "metadataValue"] as const;
  for (const name of plain) {
    const value = filters[name]?.trim();
    if (value) normalized[name] = value;
  }
  if (filters.limit !== undefined) normalized.limit = filters.limit;
  return normalized;
}
