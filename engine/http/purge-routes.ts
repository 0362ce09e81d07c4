import type { Hono } from "hono";
import { requireFull, type Access } from "../auth/access.ts";
import type { Service } from "../runs-api.ts";
import { purgeBody } from "./bodies.ts";
import type { BodyReader } from "./read-body.ts";

type Env = { Variables: { access: Access } };

/** `runs.purge`, for the secret key only: deleting runs is no browser's business. */
export function purgeRoutes(app: Hono<Env>, service: Service, readBody: BodyReader): void {
  app.post("/api/runs/purge", async (c) => {
    requireFull(c.get("access"), "Purging runs");
    return c.json(await service.purgeRuns(await readBody(c, purgeBody)));
  });
}
