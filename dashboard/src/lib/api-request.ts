import { DurablyApiError, type DurablyHttpClient } from "durably/react";

/**
 * A call to an engine route the hooks do not cover, with the provider's credential; errors are
 * `DurablyApiError`s as the hooks' are.
 */
export async function apiRequest<T>(api: DurablyHttpClient, method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (api.accessToken) headers.authorization = `Bearer ${api.accessToken}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`${api.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (cause) {
    throw new DurablyApiError("NETWORK_ERROR", "Could not reach the engine", 0, { cause });
  }
  const parsed = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
  if (!response.ok) {
    throw new DurablyApiError(parsed?.error?.code ?? `HTTP_${response.status}`, parsed?.error?.message ?? `Request failed (${response.status})`, response.status);
  }
  return parsed as T;
}
