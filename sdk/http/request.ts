import { DurablyError, EngineUnreachableError } from "../errors.ts";
import { errorFromWire, type RequestSubject } from "./wire-errors.ts";

export interface HttpOptions {
  baseUrl: string;
  secretKey?: string;
}

/** An engine's HTTP API (docs/http-api.md) through `fetch`: JSON in and out, errors as DurablyErrors. */
export interface EngineHttp {
  /** `headers`: more request headers (a trigger's W3C trace context). */
  json<T>(method: "GET" | "POST" | "DELETE", path: string, options?: { body?: unknown; subject?: RequestSubject; headers?: Record<string, string> | undefined }): Promise<T>;
  /** A route that answers with text (a CSV export); its errors come as JSON. */
  text(path: string, options?: { subject?: RequestSubject }): Promise<string>;
  /** The body of an SSE route, open until the server ends it or `signal` aborts. */
  stream(path: string, signal: AbortSignal, subject: RequestSubject): Promise<ReadableStream<Uint8Array>>;
}

export function engineHttp(options: HttpOptions): EngineHttp {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const auth: Record<string, string> = options.secretKey ? { authorization: `Bearer ${options.secretKey}` } : {};

  const send = async (path: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(baseUrl + path, init);
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new EngineUnreachableError(baseUrl, reasonOf(error), { cause: error });
    }
  };

  return {
    async json<T>(
      method: "GET" | "POST" | "DELETE", path: string,
      { body, subject = {}, headers }: { body?: unknown; subject?: RequestSubject; headers?: Record<string, string> | undefined } = {},
    ): Promise<T> {
      const response = await send(path, {
        method,
        headers: { ...headers, ...auth, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new DurablyError("INVALID_RESPONSE", `${baseUrl} answered ${method} ${path} with ${response.status} and no JSON: is baseUrl a durably engine?`, { cause: error });
      }
      if (!response.ok) throw errorFromWire(response.status, parsed, subject);
      return parsed as T;
    },
    async text(path, { subject = {} } = {}) {
      const response = await send(path, { headers: { ...auth, accept: "text/csv, application/json" } });
      if (!response.ok) throw errorFromWire(response.status, await response.json().catch(() => undefined), subject);
      return response.text();
    },
    async stream(path, signal, subject) {
      const response = await send(path, { headers: { ...auth, accept: "text/event-stream" }, signal });
      if (!response.ok || !response.body) throw errorFromWire(response.status, await response.json().catch(() => undefined), subject);
      return response.body;
    },
  };
}

/** `fetch` says only "fetch failed"; the reason is in its cause (an AggregateError for "localhost"). */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const first = (cause instanceof AggregateError ? cause.errors[0] : cause) as { code?: string; hostname?: string; message?: string } | undefined;
  const code = (cause as { code?: string } | undefined)?.code ?? first?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host "${first?.hostname ?? "?"}" not found`;
  return code ?? first?.message ?? (error as Error).message;
}
