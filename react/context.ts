import { createContext } from "react";
import type { QueryClient } from "@tanstack/react-query";
import type { DurablyHttpClient } from "./client/http-client.ts";
import type { LiveUpdates } from "./client/live-updates.ts";
import type { DurablyKeys } from "./client/query-keys.ts";

export interface DurablyContextValue {
  api: DurablyHttpClient;
  queryClient: QueryClient;
  keys: DurablyKeys;
  live: LiveUpdates;
}

export const DurablyContext = createContext<DurablyContextValue | null>(null);
