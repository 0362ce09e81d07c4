import { useMemo } from "react";
import { createHttpClient, type DurablyHttpClient } from "../client/http-client.ts";
import { useDurably } from "./use-durably.ts";

/** The provider's client, or one with the hook's own token (Trigger.dev's `{ accessToken }` hook option). */
export function useApi(accessToken: string | undefined): DurablyHttpClient {
  const { api } = useDurably();
  return useMemo(() => (accessToken === undefined ? api : createHttpClient({ baseUrl: api.baseUrl, accessToken })), [api, accessToken]);
}
