import { QueryClient, type QueryClientConfig } from "@tanstack/react-query";
import { DurablyApiError } from "./http-client.ts";

/** Retrying cannot fix a 4xx (bad token, unknown run): show it at once. Others get 3 tries. */
export function retryUnlessClientError(failureCount: number, error: unknown): boolean {
  if (error instanceof DurablyApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 3;
}

/**
 * A QueryClient with defaults that suit pushed data: no refetch on window focus (the SSE
 * stream keeps the cache current) and no retry of client errors.
 */
export function createDurablyQueryClient(config: QueryClientConfig = {}): QueryClient {
  return new QueryClient({
    ...config,
    defaultOptions: {
      ...config.defaultOptions,
      queries: {
        refetchOnWindowFocus: false,
        retry: retryUnlessClientError,
        ...config.defaultOptions?.queries,
      },
      mutations: { retry: false, ...config.defaultOptions?.mutations },
    },
  });
}
