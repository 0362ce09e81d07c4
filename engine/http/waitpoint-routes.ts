import type { Hono } from "hono";
import { WaitpointCompletedError, WaitpointNotFoundError } from "../../sdk/errors.ts";
import type { Access } from "../auth/access.ts";
import { requireFull } from "../auth/access.ts";
import { ForbiddenError } from "../auth/tokens.ts";
import type { Service } from "../runs-api.ts";
import { callbackBody, completeTokenBody, parse, waitpointListQuery, waitTokenBody } from "./bodies.ts";
import { HttpError } from "./http-errors.ts";
import type { BodyReader } from "./read-body.ts";

type Env = { Variables: { access: Access } };

/**
 * A public token may read the waitpoints it names under `read` or `write`, and complete those
 * under `write` (the token `createToken` returns names its own under both). A missing token gets
 * 403 like any other it may not use: ids it may not use do not tell whether they exist.
 */
function requireWaitpoint(access: Access, id: string, use: "read" | "write"): void {
  if (access.kind === "full") return;
  const writable = access.scopes.write?.waitpoints ?? [];
  const allowed = use === "write" ? writable : [...(access.scopes.read.waitpoints ?? []), ...writable];
  if (!allowed.includes(id)) throw new ForbiddenError(`This token does not give access to ${use === "write" ? "complete" : "read"} this waitpoint`);
}

/** The waitpoint token API (docs/waitpoints.md) on an app whose `/api/*` middleware has set `access`. */
export function waitpointRoutes(app: Hono<Env>, service: Service, readBody: BodyReader): void {
  app.post("/api/waitpoints/tokens", async (c) => {
    requireFull(c.get("access"), "Creating a waitpoint token");
    return c.json(await service.createWaitToken(await readBody(c, waitTokenBody)));
  });
  app.get("/api/waitpoints/tokens", async (c) => {
    requireFull(c.get("access"), "Listing waitpoint tokens");
    return c.json(await service.listWaitTokens(parse(waitpointListQuery, c.req.query(), "query")));
  });
  app.get("/api/waitpoints/tokens/:id", async (c) => {
    requireWaitpoint(c.get("access"), c.req.param("id"), "read");
    return c.json(await service.retrieveWaitToken(c.req.param("id")));
  });
  app.post("/api/waitpoints/tokens/:id/access", async (c) => {
    requireFull(c.get("access"), "Reading a waitpoint token's URL");
    return c.json(await service.accessWaitToken(c.req.param("id")));
  });
  app.post("/api/waitpoints/tokens/:id/complete", async (c) => {
    requireWaitpoint(c.get("access"), c.req.param("id"), "write");
    const { data } = await readBody(c, completeTokenBody);
    await service.completeWaitToken(c.req.param("id"), data);
    return c.json({ success: true });
  });
}

/**
 * The callback URL: no API key, the token's own secret in the path instead. A wrong secret, an
 * unknown token and a token already settled all get the same 404, before any body is read; a
 * body that cannot be read or stored gets 400/413 and leaves the token waiting.
 */
export function waitpointCallback(app: Hono<Env>, service: Service, readBody: BodyReader): void {
  app.post("/callbacks/waitpoints/:id/:secret", async (c) => {
    const { id, secret } = c.req.param();
    const notFound = new HttpError(404, "NOT_FOUND", "No waiting waitpoint token at this URL");
    if (!(await service.waitpoints.callbackAllowed(id, secret))) throw notFound;
    const output = await readBody(c, callbackBody);
    try {
      await service.completeWaitToken(id, output);
    } catch (error) {
      if (error instanceof WaitpointCompletedError || error instanceof WaitpointNotFoundError) throw notFound;
      throw error;
    }
    return c.json({ success: true });
  });
}
