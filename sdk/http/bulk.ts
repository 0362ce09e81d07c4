import type { Backend } from "../backend-types.ts";
import type { OnTheWire } from "../../wire/index.ts";
import type { BulkAction, BulkDryRun } from "../types.ts";
import type { EngineHttp } from "./request.ts";

type WireBulk = OnTheWire<BulkAction> | BulkDryRun;

const fromWire = (wire: OnTheWire<BulkAction>): BulkAction => ({
  ...wire,
  createdAt: new Date(wire.createdAt),
  finishedAt: wire.finishedAt === null ? null : new Date(wire.finishedAt),
});

/** `runs.bulk.*` over HTTP: `POST /api/bulk-actions`, `GET /api/bulk-actions/:id`. */
export function bulkCalls(http: EngineHttp): Pick<Backend, "bulkAction" | "retrieveBulkAction"> {
  return {
    async bulkAction(request) {
      // JSON sends the filter's dates as ISO strings, which the engine reads back.
      const wire = await http.json<WireBulk>("POST", "/api/bulk-actions", { body: request });
      return "dryRun" in wire ? wire : fromWire(wire);
    },
    async retrieveBulkAction(id) {
      return fromWire(await http.json<OnTheWire<BulkAction>>("GET", `/api/bulk-actions/${encodeURIComponent(id)}`));
    },
  };
}
