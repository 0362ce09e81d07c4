import { DurablyApiError, type DurablyHttpClient } from "durably/react";

/**
 * A call to an engine route the hooks do not cover, with the provider's credential: its response
 * once it is a success; otherwise a `DurablyApiError` as the hooks' are.
 */
export async function apiResponse(api: DurablyHttpClient, method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (api.accessToken) headers.authorization = `Bearer ${api.accessToken}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`${api.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (cause) {
    throw new DurablyApiError("NETWORK_ERROR", "Could not reach the engine", 0, { cause });
  }
  if (!response.ok) {
    const parsed = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    throw new DurablyApiError(parsed?.error?.code ?? `HTTP_${response.status}`, parsed?.error?.message ?? `Request failed (${response.status})`, response.status);
  }
  return response;
}

/** `apiResponse`'s JSON. */
export async function apiRequest<T>(api: DurablyHttpClient, method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  const response = await apiResponse(api, method, path, body);
  return (await response.json().catch(() => undefined)) as T;
}

/**
 * Saves what a GET route answers as a file: the route needs the credential in a header, which a
 * plain link cannot send, so the body is fetched and handed to the browser as a blob.
 */
export async function downloadFrom(api: DurablyHttpClient, path: string, filename: string): Promise<void> {
  const blob = await (await apiResponse(api, "GET", path)).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the URL after click() returns, in its own time (FileSaver.js waits 40 s for this).
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
