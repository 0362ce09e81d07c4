import { useMemo } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { createHttpClient, type DurablyApiError } from "../client/http-client.ts";
import { RETRY_UNTIL_ANSWERED } from "../client/query-client.ts";
import type { JsonValue, WaitpointToken } from "../types.ts";
import { queryError } from "./fetch-result.ts";
import { useDurably } from "./use-durably.ts";

export interface UseWaitTokenOptions {
  /** The token's `publicAccessToken` (scoped to it); without one, the provider's token. */
  accessToken?: string | undefined;
}

export interface WaitTokenResult {
  /** Completes the token with `output`; the first completion wins (a later one errors with `WAITPOINT_COMPLETED`). */
  complete(output?: JsonValue): void;
  /** A completion is in flight. */
  isLoading: boolean;
  /** This page completed the token, or it was settled already (completed elsewhere, or timed out). */
  isCompleted: boolean;
  error: DurablyApiError | null;
  /** The token as last read, once read. */
  token: WaitpointToken | undefined;
}

/**
 * Approve/reject buttons for a run waiting on a waitpoint token (Trigger.dev's `useWaitToken`).
 * The token is read once to show whether it is still waiting; `complete` resumes the run.
 */
export function useWaitToken(tokenId: string | undefined, options: UseWaitTokenOptions = {}): WaitTokenResult {
  const context = useDurably();
  const { accessToken } = options;
  const api = useMemo(
    () => (accessToken === undefined ? context.api : createHttpClient({ baseUrl: context.api.baseUrl, accessToken })),
    [context.api, accessToken],
  );
  const queryKey = [...context.keys.root, "waitpoint", tokenId ?? ""] as const;
  const read = useQuery<WaitpointToken, DurablyApiError>(
    {
      queryKey,
      queryFn: ({ signal }) => api.getWaitToken(tokenId ?? "", { signal }),
      enabled: tokenId !== undefined,
      ...RETRY_UNTIL_ANSWERED,
    },
    context.queryClient,
  );
  const completion = useMutation<{ success: true }, DurablyApiError, JsonValue | undefined>(
    {
      mutationFn: (output) => api.completeWaitToken(tokenId ?? "", output),
      onSettled: () => void context.queryClient.invalidateQueries({ queryKey }),
    },
    context.queryClient,
  );
  return {
    complete: (output) => completion.mutate(output),
    isLoading: completion.isPending,
    isCompleted: completion.isSuccess || (read.data !== undefined && read.data.status !== "WAITING"),
    error: completion.error ?? queryError(read),
    token: read.data,
  };
}
