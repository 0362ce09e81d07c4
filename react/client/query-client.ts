import { QueryClient, type QueryClientConfig } from "@tanstack/react-query";
import { DurablyApiError } from "./http-client.ts";

/** Retries after which a failure is reported: a hook's `fetchStatus: "error"`, a query's `isError`. */
export const RETRIES_BEFORE_ERROR = 3;
/** While an engine stays unreachable, a hook tries again this often (the delay doubles up to it). */
export const MAX_RETRY_DELAY_MS = 5_000;

const isClientError = (error: unknown) => error instanceof DurablyApiError && error.status >= 400 && error.status < 500;

/** Retrying cannot fix a 4xx (bad token, unknown run): show it at once. Others get 3 tries. */
export function retryUnlessClientError(failureCount: number, error: unknown): boolean {
  return !isClientError(error) && failureCount < RETRIES_BEFORE_ERROR;
}

/**
 * The hooks' queries: a 4xx fails at once; an engine that is down, unreachable or answering 5xx
 * is tried again until it answers, every few seconds, so a page recovers on its own when the engine
 * is back. The hook reports the failure once the usual retries are spent (`queryError`).
 */
export const RETRY_UNTIL_ANSWERED = {
  retry: (_failureCount: number, error: unknown) => !isClientError(error),
  retryDelay: (failureCount: number) => Math.min(1_000 * 2 ** failureCount, MAX_RETRY_DELAY_MS),
} as const;

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
