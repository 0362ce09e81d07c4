import { useEffect, useState } from "react";
import type { DurablyApiError, DurablyHttpClient } from "../client/http-client.ts";
import { watchRuns, type WatchRunsOptions } from "../client/run-list.ts";
import type { Run } from "../types.ts";
import { useApi } from "./use-api.ts";
import { useDurably } from "./use-durably.ts";

export interface RealtimeRunsOptions {
  /** A public token scoped to what is followed; without one, the provider's token. */
  accessToken?: string | undefined;
  /** False holds the subscription (default true). */
  enabled?: boolean | undefined;
}

/** Trigger.dev's shape: the runs (empty until loaded) and the error that stopped the subscription. */
export interface RealtimeRunsResult {
  runs: Run[];
  error: DurablyApiError | undefined;
}

/** A live list of runs from `source` (what to load, which stream), kept per `key`. */
export function useRunList(
  key: string | undefined,
  options: RealtimeRunsOptions,
  source: (api: DurablyHttpClient, key: string) => Pick<WatchRunsOptions, "load" | "streamUrl" | "order">,
): RealtimeRunsResult {
  const api = useApi(options.accessToken);
  const { createEventSource } = useDurably();
  const [state, setState] = useState<RealtimeRunsResult & { key: string | undefined }>({ key, runs: [], error: undefined });
  const enabled = key !== undefined && options.enabled !== false;
  useEffect(() => {
    if (!enabled || key === undefined) return;
    setState({ key, runs: [], error: undefined });
    return watchRuns({
      ...source(api, key),
      onChange: (runs) => setState({ key, runs, error: undefined }),
      onError: (error) => setState((held) => ({ ...held, key, error })),
      createEventSource,
    });
    // `source` is the calling hook's fixed recipe, made anew each render: what it builds depends on `api` and `key` only.
  }, [api, key, enabled, createEventSource]);
  // A list loaded for another key is not shown for this one.
  return state.key === key ? { runs: state.runs, error: state.error } : { runs: [], error: undefined };
}
