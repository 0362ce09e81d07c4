import type { Backend } from "../backend-types.ts";
import type { StreamEvent } from "../types.ts";
import { followSse } from "./follow-sse.ts";
import type { EngineHttp } from "./request.ts";

/** Following a run's stream through the engine's HTTP API (docs/streams.md): its SSE route, resumed after a dropped connection. */
export function streamCalls(http: EngineHttp): Pick<Backend, "followStream"> {
  const id = encodeURIComponent;
  return {
    async *followStream(runId, key, { after, signal }) {
      const path = (lastEventId: string | undefined) =>
        `/api/runs/${id(runId)}/streams/${id(key)}/stream?${lastEventId === undefined ? `after=${after}` : `lastEventId=${id(lastEventId)}`}`;
      for await (const event of followSse(http, path, { runId }, signal)) {
        if (event.event === "chunk") yield { type: "chunk", ...(JSON.parse(event.data) as { index: number; data: unknown }) } as StreamEvent;
        else if (event.event === "reset") yield { type: "reset", ...(JSON.parse(event.data) as { fromIndex: number; resets: number }) };
        else if (event.event === "end") {
          yield { type: "end", ...(JSON.parse(event.data) as Omit<Extract<StreamEvent, { type: "end" }>, "type">) };
          return;
        }
      }
    },
  };
}
