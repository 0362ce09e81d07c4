import { useEffect, useMemo, useRef, type ReactNode } from "react";
import type { QueryClient } from "@tanstack/react-query";
import { createHttpClient } from "./client/http-client.ts";
import { createLiveUpdates } from "./client/live-updates.ts";
import { createDurablyQueryClient } from "./client/query-client.ts";
import { durablyKeys } from "./client/query-keys.ts";
import type { EventSourceFactory } from "./client/sse-reader.ts";
import { DurablyContext, type DurablyContextValue } from "./context.ts";

export interface DurablyProviderProps {
  /** Where the engine serves `/api`; defaults to the page's own origin. */
  baseUrl?: string | undefined;
  /** A public access token (read only, scoped) or, on a trusted backend page, the secret key. */
  accessToken?: string | undefined;
  /** Share your app's QueryClient; by default durably keeps its own. */
  queryClient?: QueryClient | undefined;
  /** For environments without a global `EventSource` (tests, polyfills). */
  createEventSource?: EventSourceFactory | undefined;
  children?: ReactNode | undefined;
}

/**
 * Gives the durably hooks their engine, token and cache. It deliberately does not render a
 * `QueryClientProvider`: the hooks pass their client explicitly, so an app's own react-query
 * setup below this provider is left untouched.
 */
export function DurablyProvider({
  baseUrl = "",
  accessToken,
  queryClient: givenClient,
  createEventSource,
  children,
}: DurablyProviderProps) {
  // Created lazily, once, and only when the app brings no client of its own.
  const ownClient = useRef<QueryClient | null>(null);
  if (!givenClient && !ownClient.current) ownClient.current = createDurablyQueryClient();
  const queryClient = givenClient ?? (ownClient.current as QueryClient);

  useEffect(() => {
    queryClient.mount();
    return () => queryClient.unmount();
  }, [queryClient]);

  const value = useMemo<DurablyContextValue>(() => {
    const api = createHttpClient({ baseUrl, accessToken });
    const keys = durablyKeys(api.baseUrl);
    return { api, keys, queryClient, live: createLiveUpdates({ queryClient, api, keys, createEventSource }), createEventSource };
  }, [baseUrl, accessToken, queryClient, createEventSource]);

  // A new token may see more (or less): refetch what is on screen with it.
  const previousToken = useRef(accessToken);
  useEffect(() => {
    if (previousToken.current === accessToken) return;
    previousToken.current = accessToken;
    void queryClient.invalidateQueries({ queryKey: value.keys.root });
  }, [accessToken, queryClient, value.keys]);

  return <DurablyContext.Provider value={value}>{children}</DurablyContext.Provider>;
}
