import { createContext } from "react";
import type { QueryClient } from "@tanstack/react-query";
import type { DurablyHttpClient } from "./client/http-client.ts";
import type { LiveUpdates } from "./client/live-updates.ts";
import type { DurablyKeys } from "./client/query-keys.ts";
import type { EventSourceFactory } from "./client/sse-reader.ts";

export interface DurablyContextValue {
  api: DurablyHttpClient;
  queryClient: QueryClient;
  keys: DurablyKeys;
  live: LiveUpdates;
  /** The provider's, for hooks that open streams of their own (with a token of their own). */
  createEventSource?: EventSourceFactory | undefined;
}

export const DurablyContext = createContext<DurablyContextValue | null>(null);
