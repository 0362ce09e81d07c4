import type { Hono } from "hono";
import { requireFull, type Access } from "../auth/access.ts";
import type { Service } from "../runs-api.ts";
import { bulkBody } from "./bodies.ts";
import type { BodyReader } from "./read-body.ts";

type Env = { Variables: { access: Access } };

/** Bulk actions on runs (`runs.bulk.*`), for the secret key only. */
export function bulkRoutes(app: Hono<Env>, service: Service, readBody: BodyReader): void {
  app.post("/api/bulk-actions", async (c) => {
    requireFull(c.get("access"), "A bulk action");
    return c.json(await service.bulkAction(await readBody(c, bulkBody)));
  });
  app.get("/api/bulk-actions/:id", async (c) => {
    requireFull(c.get("access"), "Reading a bulk action");
    return c.json(await service.retrieveBulkAction(c.req.param("id")));
  });
}
