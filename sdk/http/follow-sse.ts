import { DurablyError } from "../errors.ts";
import type { EngineHttp } from "./request.ts";
import { sseEvents, type SseEvent } from "./sse-events.ts";
import { errorFromWire, type RequestSubject } from "./wire-errors.ts";

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;
/** Connections failing in a row for this long end the subscription with the last error. */
const GIVE_UP_MS = 60_000;

/** Errors that a new connection may get past: the engine restarting, a cut connection, a full server. */
function isPassing(error: unknown): boolean {
  return !(error instanceof DurablyError) || ["ENGINE_UNREACHABLE", "TOO_MANY_STREAMS", "INTERNAL"].includes(error.code);
}

/**
 * The events of one of the engine's SSE routes, across dropped connections: each connection is
 * opened at `path(lastEventId)`, the id of the last event taken (undefined before any), and a
 * connection that drops or ends is opened again, sooner after a connection that worked. Errors a
 * new connection cannot get past (403, 404, a bad request) are thrown; so is the last of a minute
 * of failures. The consumer returns at its route's last event; `stop` ends it at once.
 */
export async function* followSse(
  http: EngineHttp, path: (lastEventId: string | undefined) => string, subject: RequestSubject, stop?: AbortSignal,
): AsyncGenerator<SseEvent> {
  let lastEventId: string | undefined;
  let retryMs = FIRST_RETRY_MS;
  let failingSince: number | undefined;
  while (!stop?.aborted) {
    const abort = new AbortController();
    const onStop = () => abort.abort();
    stop?.addEventListener("abort", onStop);
    try {
      const body = await http.stream(path(lastEventId), abort.signal, subject);
      for await (const event of sseEvents(body)) {
        failingSince = undefined;
        retryMs = FIRST_RETRY_MS;
        if (event.id !== undefined) lastEventId = event.id;
        // A route that cannot go on says why (a list's `event: failure`): retried like any error.
        if (event.event === "failure") throw errorFromWire(500, JSON.parse(event.data), subject);
        yield event;
      }
    } catch (error) {
      if (stop?.aborted) return;
      if (!isPassing(error)) throw error;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > GIVE_UP_MS) throw error;
    } finally {
      stop?.removeEventListener("abort", onStop);
      abort.abort();
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, retryMs);
      stop?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }
}
