import { newestFirst } from "../client/run-list.ts";
import { useRunList, type RealtimeRunsOptions, type RealtimeRunsResult } from "./use-run-list.ts";

/**
 * Every run carrying `tag`, newest first, kept current over SSE (Trigger.dev's
 * `useRealtimeRunsWithTag`). A browser needs a public token scoped to the tag:
 * `auth.createPublicToken({ scopes: { read: { tags: [tag] } } })`.
 */
export function useRealtimeRunsWithTag(tag: string | undefined, options: RealtimeRunsOptions = {}): RealtimeRunsResult {
  return useRunList(tag, options, (api, key) => ({
    load: async (signal) => (await api.listRuns({ tag: key, limit: 100 }, { signal })).data,
    streamUrl: api.streamUrl(`/api/tags/${encodeURIComponent(key)}/stream`),
    order: newestFirst,
  }));
}
