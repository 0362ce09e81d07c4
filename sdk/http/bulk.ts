import type { Backend } from "../backend-types.ts";
import type { OnTheWire } from "../../wire/index.ts";
import type { BulkAction, BulkDryRun } from "../types.ts";
import type { EngineHttp } from "./request.ts";
import { sseEvents } from "./sse-events.ts";

type WireBulk = OnTheWire<BulkAction> | BulkDryRun;

const fromWire = (wire: OnTheWire<BulkAction>): BulkAction => ({
  ...wire,
  createdAt: new Date(wire.createdAt),
  finishedAt: wire.finishedAt === null ? null : new Date(wire.finishedAt),
});

/** `runs.bulk.*` over HTTP: `POST /api/bulk-actions`, `GET /api/bulk-actions/:id` and its `/stream`. */
export function bulkCalls(http: EngineHttp): Pick<Backend, "bulkAction" | "retrieveBulkAction" | "followBulkAction"> {
  return {
    async bulkAction(request) {
      // JSON sends the filter's dates as ISO strings, which the engine reads back.
      const wire = await http.json<WireBulk>("POST", "/api/bulk-actions", { body: request });
      return "dryRun" in wire ? wire : fromWire(wire);
    },
    async retrieveBulkAction(id) {
      return fromWire(await http.json<OnTheWire<BulkAction>>("GET", `/api/bulk-actions/${encodeURIComponent(id)}`));
    },
    followBulkAction: (id, { signal } = {}) => followBulkAction(http, id, signal),
  };
}

/**
 * The action's SSE stream as actions. A stream the server closes before the action completed (a
 * restart) is opened again: it starts with the action as it is then, so nothing is missed.
 */
async function* followBulkAction(http: EngineHttp, id: string, signal?: AbortSignal): AsyncGenerator<BulkAction> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  signal?.addEventListener("abort", stop);
  try {
    while (!abort.signal.aborted) {
      const body = await http.stream(`/api/bulk-actions/${encodeURIComponent(id)}/stream`, abort.signal, {}).catch((error: unknown) => {
        if (abort.signal.aborted) return undefined;
        throw error;
      });
      if (!body) return;
      try {
        for await (const event of sseEvents(body)) {
          if (event.event === "end") return;
          if (event.event === "bulk") yield fromWire(JSON.parse(event.data) as OnTheWire<BulkAction>);
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        throw error;
      }
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    abort.abort();
  }
}
