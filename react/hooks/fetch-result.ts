import type { DurablyApiError } from "../client/http-client.ts";
import { RETRIES_BEFORE_ERROR } from "../client/query-client.ts";

type Absent<T> = { [K in keyof T]: undefined };

/**
 * What the query hooks return: a union on `fetchStatus`, so after
 * `if (fetchStatus === "loading") return …; if (fetchStatus === "error") return …;`
 * the data fields are known to be there. Data already on screen stays `success` when a
 * later refetch fails; that error is then in `error`.
 */
export type FetchResult<T extends object> =
  | ({ fetchStatus: "loading"; error: null } & Absent<T>)
  | ({ fetchStatus: "error"; error: DurablyApiError } & Absent<T>)
  | ({ fetchStatus: "success"; error: DurablyApiError | null } & T);

export function toFetchResult<T extends object>(
  data: T | undefined,
  error: DurablyApiError | null,
  absent: Absent<T>,
): FetchResult<T> {
  if (data !== undefined) return { fetchStatus: "success", error, ...data } as FetchResult<T>;
  if (error) return { fetchStatus: "error", error, ...absent } as FetchResult<T>;
  return { fetchStatus: "loading", error: null, ...absent } as FetchResult<T>;
}

/**
 * What a hook's query reports as its error: the query's own (a 4xx, not retried), or, while it
 * keeps retrying an engine that does not answer, the last failure once the usual retries are
 * spent. The next answer clears it.
 */
export function queryError(query: { error: DurablyApiError | null; failureCount: number; failureReason: DurablyApiError | null }): DurablyApiError | null {
  return query.error ?? (query.failureCount > RETRIES_BEFORE_ERROR ? query.failureReason : null);
}
