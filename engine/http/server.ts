import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import type { AddressInfo } from "node:net";
import type { Definition } from "../../sdk/definition.ts";
import { validatePayload } from "../../sdk/definition.ts";
import { TaskNotFoundError } from "../../sdk/errors.ts";
import type { Json } from "../../sdk/types.ts";
import type { EngineParts } from "../engine.ts";
import { requireFull, requireRun, resolveAccess, type Access } from "../auth/access.ts";
import { eventBody, forkBody, listQuery, parse, payloadOf, readBody, scheduleBody, tokenBody, triggerBody } from "./bodies.ts";
import { HttpError, errorResponse } from "./http-errors.ts";
import { parseLastEventId, streamAllRuns, streamRun } from "./run-stream.ts";
import { dashboardFile } from "./static-files.ts";
import { ForbiddenError, createPublicToken } from "../auth/tokens.ts";

const MAX_BODY_BYTES = 1024 * 1024;

const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** Invalid UTF-8 is refused, not silently replaced with U+FFFD and stored. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

type Env = { Variables: { access: Access } };

/**
 * Oversized bodies get a 413. The rest of the body is read and dropped first (up to a bound):
 * answering mid-upload resets the connection and the client would never see the error.
 */
async function limitBody(c: Context, next: () => Promise<void>): Promise<Response | void> {
  const body = c.req.raw.body;
  if (!body || c.req.method === "GET") return next();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    else if (size > MAX_DRAIN_BYTES) break;
  }
  if (size > MAX_BODY_BYTES) throw new HttpError(413, "BODY_TOO_LARGE", `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
  let text: string;
  try {
    text = strictUtf8.decode(Buffer.concat(chunks));
  } catch (error) {
    throw new HttpError(400, "INVALID_UTF8", "The request body is not valid UTF-8");
  }
  c.set("body" as never, text as never);
  return next();
}

function credentialOf(c: Context): string | undefined {
  const header = c.req.header("authorization");
  if (header?.toLowerCase().startsWith("bearer ")) return header.slice(7).trim();
  return c.req.query("token") ?? undefined;
}

/** The HTTP API, SSE streams and dashboard of one engine process. */
export function buildApp(parts: EngineParts, definitions: readonly Definition[]): Hono<Env> {
  const { service, options, logger } = parts;
  const app = new Hono<Env>();
  app.onError((error, c) => errorResponse(c, error, logger));
  app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: `No route ${c.req.method} ${c.req.path}` } }, 404));

  app.use("/api/*", cors({ origin: "*", allowHeaders: ["Authorization", "Content-Type", "Last-Event-ID"], maxAge: 600 }));
  app.use("/api/*", limitBody);
  app.use("/api/*", async (c, next) => {
    c.set("access", await resolveAccess(credentialOf(c), { secretKey: options.secretKey, devMode: options.devMode }));
    await next();
  });

  const readableRun = async (c: Context<Env>, id: string) => {
    const run = await service.retrieveRun(id);
    requireRun(c.get("access"), run);
    return run;
  };
  const firstRunOfEvent = async (c: Context<Env>, eventId: string) => {
    const event = await service.getEvent(eventId);
    const run = event.runs[0];
    if (!run) throw new HttpError(404, "RUN_NOT_FOUND", `Event ${eventId} started no run`);
    requireRun(c.get("access"), run);
    return run;
  };

  app.get("/api/runs", async (c) => {
    const filter = parse(listQuery, c.req.query(), "query");
    const access = c.get("access");
    if (access.kind === "public" && !(filter.tag && access.scopes.read.tags?.includes(filter.tag))) {
      throw new ForbiddenError("Listing runs with a public token needs a tag filter the token is scoped to");
    }
    const [list, counts] = await Promise.all([service.listRuns(filter), service.countRuns(filter)]);
    return c.json({ ...list, counts });
  });
  app.get("/api/runs/stream", (c) => {
    requireFull(c.get("access"), "Streaming every run");
    return streamAllRuns(c, parts);
  });
  app.get("/api/runs/:id", async (c) => c.json(await readableRun(c, c.req.param("id"))));
  app.get("/api/runs/:id/statuses", async (c) => {
    await readableRun(c, c.req.param("id"));
    return c.json(await service.getRunStatuses(c.req.param("id")));
  });
  app.get("/api/runs/:id/journal", async (c) => {
    await readableRun(c, c.req.param("id"));
    return c.json(await service.getJournalSnapshot(c.req.param("id")));
  });
  app.get("/api/runs/:id/metadata/history", async (c) => {
    await readableRun(c, c.req.param("id"));
    return c.json(await service.getMetadataHistorySnapshot(c.req.param("id")));
  });
  app.get("/api/runs/:id/stream", async (c) => {
    const run = await readableRun(c, c.req.param("id"));
    return streamRun(c, parts, run.id, parseLastEventId(c.req.header("last-event-id"), c.req.query()));
  });
  for (const action of ["retry", "replay", "cancel"] as const) {
    app.post(`/api/runs/:id/${action}`, async (c) => {
      requireFull(c.get("access"), `${action} of a run`);
      const id = c.req.param("id");
      const result = action === "retry" ? await service.retryRun(id) : action === "replay" ? await service.replayRun(id) : await service.cancelRun(id);
      return c.json(result);
    });
  }

  app.post("/api/runs/:id/fork", async (c) => {
    requireFull(c.get("access"), "fork of a run");
    const body = await readBody(c, forkBody);
    return c.json(await service.forkRun(c.req.param("id"), body));
  });

  app.get("/api/schedules", async (c) => {
    requireFull(c.get("access"), "Listing schedules");
    const task = c.req.query("task");
    return c.json({ data: await service.listSchedules(task ? { task } : {}) });
  });
  app.post("/api/schedules", async (c) => {
    requireFull(c.get("access"), "Creating a schedule");
    const body = await readBody(c, scheduleBody);
    return c.json(await service.createSchedule({ ...body, payload: body.payload as Json | undefined }));
  });
  app.delete("/api/schedules/:id", async (c) => {
    requireFull(c.get("access"), "Deleting a schedule");
    return c.json(await service.deleteSchedule(c.req.param("id")));
  });

  app.get("/api/events/:id", async (c) => {
    const event = await service.getEvent(c.req.param("id"));
    const access = c.get("access");
    if (access.kind === "public") for (const run of event.runs.slice(0, 1)) requireRun(access, run);
    if (access.kind === "public" && event.runs.length === 0) throw new ForbiddenError("This token does not give access to this event");
    return c.json(event);
  });
  app.get("/api/events/:id/runs", async (c) => {
    const run = await firstRunOfEvent(c, c.req.param("id"));
    const event = await service.getEvent(c.req.param("id"));
    return c.json({ data: c.get("access").kind === "full" ? event.runs : [run] });
  });
  app.get("/api/events/:id/statuses", async (c) => {
    const run = await firstRunOfEvent(c, c.req.param("id"));
    return c.json(await service.getRunStatuses(run.id));
  });
  app.get("/api/events/:id/stream", async (c) => {
    const run = await firstRunOfEvent(c, c.req.param("id"));
    return streamRun(c, parts, run.id, parseLastEventId(c.req.header("last-event-id"), c.req.query()));
  });
  app.post("/api/events", async (c) => {
    requireFull(c.get("access"), "Sending an event");
    const body = await readBody(c, eventBody);
    const payload = payloadOf(body);
    for (const d of definitions) if (d.eventName === body.name) validatePayload(d.schema, payload, `job "${d.id}"`);
    return c.json(await service.sendEvent({ name: body.name, payload, ...(body.id ? { id: body.id } : {}) }));
  });

  app.get("/api/tasks", async (c) => {
    requireFull(c.get("access"), "Listing tasks");
    return c.json({ data: await service.listTasks() });
  });
  app.post("/api/tasks/:id/trigger", async (c) => {
    requireFull(c.get("access"), "Triggering a task");
    const taskId = c.req.param("id");
    const body = await readBody(c, triggerBody);
    const definition = [...definitions].reverse().find((d) => d.id === taskId && d.kind === "task");
    if (!definition) throw new TaskNotFoundError(taskId);
    const payload = validatePayload(definition.schema, payloadOf(body), `task "${taskId}"`);
    const { id } = await service.trigger({ taskId, taskVersion: definition.version, payload, options: body.options ?? {} });
    return c.json({ id });
  });

  app.post("/api/tokens", async (c) => {
    requireFull(c.get("access"), "Creating a token");
    if (!options.secretKey) throw new HttpError(400, "NO_SECRET_KEY", "Set a secret key (DURABLY_SECRET_KEY) to create public tokens");
    const body = await readBody(c, tokenBody);
    return c.json({ token: await createPublicToken(options.secretKey, body) });
  });

  app.get("*", async (c) => {
    if (c.req.path.startsWith("/api/")) return c.json({ error: { code: "NOT_FOUND", message: `No route GET ${c.req.path}` } }, 404);
    const file = await dashboardFile(c.req.path, options.http?.dashboardDir);
    return c.body(file.body as unknown as string, file.status as 200, { "content-type": file.type });
  });
  return app;
}

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

export async function startHttpServer(parts: EngineParts, definitions: readonly Definition[]): Promise<HttpServer> {
  const http = parts.options.http!;
  const app = buildApp(parts, definitions);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: http.port, hostname: http.host }, () => resolve(s));
    s.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${http.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Open SSE streams would hold close() forever.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
