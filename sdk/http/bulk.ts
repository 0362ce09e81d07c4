import type { Backend } from "../backend-types.ts";
import type { OnTheWire } from "../../wire/index.ts";
import type { BulkAction, BulkDryRun } from "../types.ts";
import type { EngineHttp } from "./request.ts";
import { followSse } from "./follow-sse.ts";

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
 * The action's SSE stream as actions, through the reconnecting reader: a stream that drops before
 * the action completed (a restart) is opened again and starts with the action as it is then.
 */
async function* followBulkAction(http: EngineHttp, id: string, signal?: AbortSignal): AsyncGenerator<BulkAction> {
  for await (const event of followSse(http, () => `/api/bulk-actions/${encodeURIComponent(id)}/stream`, {}, signal)) {
    if (event.event === "end") return;
    if (event.event === "bulk") yield fromWire(JSON.parse(event.data) as OnTheWire<BulkAction>);
  }
}
