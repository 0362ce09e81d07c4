import type { Context, Hono } from "hono";
import { requireFull, type Access } from "../auth/access.ts";
import type { Logger } from "../logger.ts";
import type { Service } from "../runs-api.ts";
import { bulkBody } from "./bodies.ts";
import type { BodyReader } from "./read-body.ts";
import type { StreamGrant } from "./run-stream.ts";
import { sseResponse } from "./sse.ts";

type Env = { Variables: { access: Access } };

const KEEPALIVE_MS = 15_000;

/** Bulk actions on runs (`runs.bulk.*`), for the secret key only. */
export function bulkRoutes(app: Hono<Env>, service: Service, readBody: BodyReader, grant: (c: Context<Env>) => StreamGrant, logger: Logger): void {
  app.post("/api/bulk-actions", async (c) => {
    requireFull(c.get("access"), "A bulk action");
    return c.json(await service.bulkAction(await readBody(c, bulkBody)));
  });
  app.get("/api/bulk-actions/:id", async (c) => {
    requireFull(c.get("access"), "Reading a bulk action");
    return c.json(await service.retrieveBulkAction(c.req.param("id")));
  });
  /**
   * The action's progress as it is pushed: `event: bulk` with the action now, then one each time
   * it progresses (at most about ten a second), then `event: end` once it has completed. No event
   * ids: a client that reconnects gets the action as it is then, which is all it needs.
   */
  app.get("/api/bulk-actions/:id/stream", async (c) => {
    requireFull(c.get("access"), "Following a bulk action");
    const id = c.req.param("id");
    // Before the stream opens: an unknown id is a 404, not a stream that fails.
    await service.retrieveBulkAction(id);
    const { lease } = grant(c);
    return sseResponse(c, async (stream) => {
      const abort = new AbortController();
      void stream.closed.then(() => abort.abort());
      const ping = setInterval(stream.ping, KEEPALIVE_MS);
      try {
        for await (const action of service.followBulkAction(id, { signal: abort.signal })) {
          await stream.ready();
          stream.send({ event: "bulk", data: JSON.stringify(action) });
        }
        if (!abort.signal.aborted) stream.send({ event: "end", data: "{}" });
      } catch (error) {
        logger.warn("bulk action stream failed", { id, error: (error as Error).message });
        stream.send({ event: "failure", data: JSON.stringify({ error: { code: "INTERNAL", message: "The stream failed" } }) });
      } finally {
        clearInterval(ping);
        abort.abort();
      }
    }, lease);
  });
}
