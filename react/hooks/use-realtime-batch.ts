import { oldestFirst } from "../client/run-list.ts";
import { useRunList, type RealtimeRunsOptions, type RealtimeRunsResult } from "./use-run-list.ts";

/**
 * The runs of a batch (`batchTrigger`'s `batchId`) in batch order, kept current over SSE until all
 * have finished (Trigger.dev's `useRealtimeBatch`). A browser needs a public token scoped to the
 * batch: `auth.createPublicToken({ scopes: { read: { batch: batchId } } })`.
 */
export function useRealtimeBatch(batchId: string | undefined, options: RealtimeRunsOptions = {}): RealtimeRunsResult {
  return useRunList(batchId, options, (api, key) => ({
    load: async (signal) => (await api.getBatch(key, { signal })).runs,
    streamUrl: api.streamUrl(`/api/batches/${encodeURIComponent(key)}/stream`),
    order: oldestFirst,
  }));
}
