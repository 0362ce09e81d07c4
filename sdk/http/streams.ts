import type { Backend } from "../backend-types.ts";
import type { StreamEvent } from "../types.ts";
import type { EngineHttp } from "./request.ts";
import { sseEvents } from "./sse-events.ts";

/** How long a follower waits before opening its stream again after the connection dropped. */
const RECONNECT_MS = 500;

/** Following a run's stream through the engine's HTTP API (docs/streams.md): its SSE route, resumed after a dropped connection. */
export function streamCalls(http: EngineHttp): Pick<Backend, "followStream"> {
  const id = encodeURIComponent;
  return {
    async *followStream(runId, key, { after, signal }) {
      let cursor = `after=${after}`;
      const abort = new AbortController();
      const stop = () => abort.abort();
      signal?.addEventListener("abort", stop);
      try {
        for (;;) {
          const body = await http.stream(`/api/runs/${id(runId)}/streams/${id(key)}/stream?${cursor}`, abort.signal, { runId });
          try {
            for await (const event of sseEvents(body)) {
              if (event.id !== undefined) cursor = `lastEventId=${id(event.id)}`;
              if (event.event === "chunk") yield { type: "chunk", ...(JSON.parse(event.data) as { index: number; data: unknown }) } as StreamEvent;
              else if (event.event === "reset") yield { type: "reset", ...(JSON.parse(event.data) as { fromIndex: number; resets: number }) };
              else if (event.event === "end") {
                yield { type: "end", ...(JSON.parse(event.data) as Omit<Extract<StreamEvent, { type: "end" }>, "type">) };
                return;
              }
            }
          } catch {
            // The connection dropped: open the stream again where it stopped.
            if (abort.signal.aborted) return;
          }
          if (abort.signal.aborted) return;
          await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        throw error;
      } finally {
        signal?.removeEventListener("abort", stop);
        abort.abort();
      }
    },
  };
}
