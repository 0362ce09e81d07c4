import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import type { AddressInfo } from "node:net";
import type { Definition } from "../../sdk/definition.ts";
import { validatePayload } from "../../sdk/definition.ts";
import { EventNotFoundError, RunNotFoundError, TaskNotFoundError } from "../../sdk/errors.ts";
import type { Json, Run, TriggerOptions } from "../../sdk/types.ts";
import type { RunListCounts } from "../../wire/index.ts";
import type { EngineParts } from "../parts.ts";
import { httpLimits } from "../options.ts";
import { batchesOf, mayReadRun, requireFull, requireRun, resolveAccess, type Access, type Credential } from "../auth/access.ts";
import { ForbiddenError, audienceOf, createPublicToken, createStreamToken, createTriggerToken, type TokenSigner } from "../auth/tokens.ts";
import {
  batchTriggerBody, eventBody, forkBody, listQuery, parse, payloadOf, scheduleBody, streamTokenBody, tokenBody, triggerBody, triggerTokenBody,
} from "./bodies.ts";
import { streamRunList } from "./run-list-stream.ts";
import { publicTrigger } from "./public-trigger.ts";
import { corsPolicy, loopbackOnly, securityHeaders } from "./guards.ts";
import { HttpError, errorResponse } from "./http-errors.ts";
import { withoutServerDetails } from "./public-view.ts";
import { createBodyReader } from "./read-body.ts";
import { streamAllRuns, streamRun, type StreamGrant } from "./run-stream.ts";
import { parseCarriedKeys, parseRunResume, type CarriedKeys } from "./run-stream-keys.ts";
import { parseLogQuery, parseLogsAfter, readRunLogs } from "./run-logs.ts";
import { dashboardFile } from "./static-files.ts";
import { StreamSlots } from "./stream-slots.ts";
import { streamRoutes } from "./stream-routes.ts";
import { waitpointCallback, waitpointRoutes } from "./waitpoint-routes.ts";
import { overviewRoutes } from "./overview-routes.ts";
import { bulkRoutes } from "./bulk-routes.ts";
import { purgeRoutes } from "./purge-routes.ts";
import { repairRoutes } from "./repair-routes.ts";
import { auditRoutes } from "./audit-routes.ts";
import { triggerTrace } from "./trace-headers.ts";

type Env = { Variables: { access: Access } };

/** The SSE routes: the only ones a credential may come in the URL for (EventSource sets no headers). */
const STREAM_PATH = /^\/api\/(runs|runs\/[^/]+|runs\/[^/]+\/streams\/[^/]+|events\/[^/]+|batches\/[^/]+|tags\/[^/]+|bulk-actions\/[^/]+)\/stream$/;

function credentialOf(c: Context): Credential | undefined {
  const header = c.req.header("authorization");
  if (header?.toLowerCase().startsWith("bearer ")) return { value: header.slice(7).trim(), inUrl: false };
  const token = c.req.query("token");
  return token ? { value: token, inUrl: true } : undefined;
}

/** The HTTP API, SSE streams and dashboard of one engine process. */
export function buildApp(parts: EngineParts, definitions: readonly Definition[]): Hono<Env> {
  const { service, options, logger } = parts;
  // An app built without `http` (served in process) gets the default limits.
  const limits = options.http?.limits ?? httpLimits.parse({});
  // No secret key: open dev mode, where every request has full access (and only this machine may ask).
  const signer: TokenSigner | undefined = options.secretKey ? { secretKey: options.secretKey, audience: audienceOf(options.schema) } : undefined;
  const readBody = createBodyReader(limits);
  const streams = new StreamSlots(limits, parts.metrics.sseSubscribers);
  const app = new Hono<Env>();
  app.onError((error, c) => errorResponse(c, error, logger));
  app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: `No route ${c.req.method} ${c.req.path}` } }, 404));

  app.use("*", securityHeaders);
  if (!signer) app.use("*", loopbackOnly);
  app.use("/api/*", corsPolicy(!signer));
  // Before anything reads a body: an unauthenticated request costs a header parse, no more.
  app.use("/api/*", async (c, next) => {
    const streamPath = c.req.method === "GET" && STREAM_PATH.test(c.req.path) ? c.req.path : undefined;
    c.set("access", await resolveAccess(credentialOf(c), { streamPath }, { signer }));
    await next();
  });

  /** JSON for the caller: a public token never sees server file paths in errors. */
  const reply = (c: Context<Env>, value: unknown) => c.json(c.get("access").kind === "public" ? withoutServerDetails(value) : value);
  const grant = (c: Context<Env>): StreamGrant => ({ lease: streams.open(c.get("access")), publicView: c.get("access").kind === "public" });
  const resume = (c: Context<Env>, carried?: CarriedKeys) => parseRunResume(c.req.header("last-event-id"), c.req.query(), carried);

  /** A run the caller may read. A public token gets 403 for a missing run too: ids it may not read do not tell whether they exist. */
  const readableRun = async (c: Context<Env>, id: string): Promise<Run> => {
    const access = c.get("access");
    const run = await service.retrieveRun(id).catch((error: unknown) => {
      if (access.kind === "public" && error instanceof RunNotFoundError) throw new ForbiddenError("This token does not give access to this run");
      throw error;
    });
    await requireRun(access, run, (batchId) => service.batchHasRun(batchId, run.id));
    return run;
  };
  /**
   * The run whose status or metadata history is read: a run, or a purged run whose history is kept
   * (the service answers from that). A public token's scopes are checked against the run's id, tags
   * and task, kept with its history; its batches only hold runs that are still there.
   */
  const readableHistory = async (c: Context<Env>, id: string): Promise<string> => {
    const access = c.get("access");
    if (access.kind !== "public") return id;
    const owner = await service.historyOwner(id);
    if (!owner) throw new ForbiddenError("This token does not give access to this run");
    await requireRun(access, owner, (batchId) => service.batchHasRun(batchId, owner.id));
    return owner.id;
  };
  /** An event with only the runs the caller may read; a public token that may read none of them gets 403. */
  const readableEvent = async (c: Context<Env>, eventId: string) => {
    const access = c.get("access");
    const event = await service.getEvent(eventId).catch((error: unknown) => {
      if (access.kind === "public" && error instanceof EventNotFoundError) throw new ForbiddenError("This token does not give access to this event");
      throw error;
    });
    const runs = event.runs.filter((run) => mayReadRun(access, run));
    if (access.kind === "public" && runs.length === 0) throw new ForbiddenError("This token does not give access to this event");
    return { ...event, runs };
  };
  /** The event's first run the caller may read: what its statuses and stream follow. */
  const firstRunOfEvent = async (c: Context<Env>, eventId: string): Promise<Run> => {
    const run = (await readableEvent(c, eventId)).runs[0];
    if (!run) throw new HttpError(404, "RUN_NOT_FOUND", `Event ${eventId} started no run`);
    return run;
  };

  app.get("/api/runs", async (c) => {
    const filter = parse(listQuery, c.req.query(), "query");
    const access = c.get("access");
    if (access.kind === "public" && !(filter.tag && access.scopes.read.tags?.includes(filter.tag))) {
      throw new ForbiddenError("Listing runs with a public token needs a tag filter the token is scoped to");
    }
    // Counts come with the first page only: the pages after it are the same list further down.
    const [list, counted] = await Promise.all([service.listRuns(filter), filter.cursor ? null : service.countRuns(filter)]);
    const counts: RunListCounts = { counts: counted?.counts ?? null, estimatedCounts: counted?.estimated ?? [], countsAtLeast: counted?.atLeast ?? [] };
    return reply(c, { ...list, ...counts });
  });
  app.get("/api/runs/stream", (c) => {
    requireFull(c.get("access"), "Streaming every run");
    return streamAllRuns(c, parts, streams.open(c.get("access")));
  });
  app.get("/api/tags/:tag/stream", (c) => {
    const tag = c.req.param("tag");
    const access = c.get("access");
    if (access.kind === "public" && !access.scopes.read.tags?.includes(tag)) throw new ForbiddenError("This token does not give access to this tag");
    return streamRunList(c, service.subscribeToRunsWithTag(tag), grant(c), logger);
  });
  /** A batch's runs: the caller holds the secret key, or a token scoped to the batch. */
  const readableBatch = (c: Context<Env>, batchId: string) => {
    const access = c.get("access");
    if (access.kind === "public" && !batchesOf(access).includes(batchId)) throw new ForbiddenError("This token does not give access to this batch");
    return batchId;
  };
  app.get("/api/batches/:id", async (c) => {
    const batchId = readableBatch(c, c.req.param("id"));
    return reply(c, { id: batchId, runs: await service.batchRuns(batchId) });
  });
  app.get("/api/batches/:id/stream", (c) => {
    const batchId = readableBatch(c, c.req.param("id"));
    return streamRunList(c, service.subscribeToBatch(batchId), grant(c), logger);
  });
  app.get("/api/runs/:id", async (c) => reply(c, await readableRun(c, c.req.param("id"))));
  app.get("/api/runs/:id/statuses", async (c) => reply(c, await service.getRunStatuses(await readableHistory(c, c.req.param("id")))));
  app.get("/api/runs/:id/journal", async (c) => {
    const run = await readableRun(c, c.req.param("id"));
    return reply(c, await service.getJournalSnapshot(run.id));
  });
  app.get("/api/runs/:id/metadata/history", async (c) =>
    reply(c, await service.getMetadataHistorySnapshot(await readableHistory(c, c.req.param("id")))));
  app.get("/api/runs/:id/logs", async (c) => {
    const filter = parseLogQuery(c.req.query());
    const run = await readableRun(c, c.req.param("id"));
    return reply(c, await readRunLogs(parts, run.id, filter));
  });
  app.get("/api/runs/:id/stream", async (c) => {
    const logsAfter = parseLogsAfter(c.req.query("logs"));
    // Whoever may read the run may read its streams: the run's check below covers them.
    const carried = parseCarriedKeys(c.req.query("streams"));
    const runChanges = c.req.query("run") !== "0";
    if (!runChanges && !carried.all && carried.keys.length === 0) throw new HttpError(400, "INVALID_REQUEST", "run=0 leaves nothing to send without ?streams=");
    const run = await readableRun(c, c.req.param("id"));
    return streamRun(c, parts, run.id, resume(c, carried), grant(c), { logsAfter, carried, runChanges });
  });
  streamRoutes(app, parts, readableRun, grant);
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
  for (const action of ["activate", "deactivate"] as const) {
    app.post(`/api/schedules/:id/${action}`, async (c) => {
      requireFull(c.get("access"), action === "activate" ? "Resuming a schedule" : "Pausing a schedule");
      return c.json(await service.setScheduleActive(c.req.param("id"), action === "activate"));
    });
  }

  app.get("/api/events/:id", async (c) => reply(c, await readableEvent(c, c.req.param("id"))));
  app.get("/api/events/:id/runs", async (c) => reply(c, { data: (await readableEvent(c, c.req.param("id"))).runs }));
  app.get("/api/events/:id/statuses", async (c) => {
    const run = await firstRunOfEvent(c, c.req.param("id"));
    return reply(c, await service.getRunStatuses(run.id));
  });
  app.get("/api/events/:id/stream", async (c) => {
    const run = await firstRunOfEvent(c, c.req.param("id"));
    return streamRun(c, parts, run.id, resume(c), grant(c));
  });
  app.post("/api/events", async (c) => {
    requireFull(c.get("access"), "Sending an event");
    const body = await readBody(c, eventBody);
    const payload = payloadOf(body);
    for (const d of definitions) if (d.eventName === body.name) validatePayload(d.schema, payload, `job "${d.id}"`);
    return c.json(await service.sendEvent({ name: body.name, payload, ...(body.id ? { id: body.id } : {}) }));
  });

  overviewRoutes(app, parts);
  app.get("/api/tasks", async (c) => {
    requireFull(c.get("access"), "Listing tasks");
    return c.json({ data: await service.listTasks() });
  });
  /** A trigger of this engine's version of the task, its payload checked against the task's schema. */
  const triggerOf = (taskId: string) => {
    const definition = [...definitions].reverse().find((d) => d.id === taskId && d.kind === "task");
    if (!definition) throw new TaskNotFoundError(taskId);
    return (item: { payload?: unknown; options?: TriggerOptions | undefined }) => ({
      taskId, taskVersion: definition.version, payload: validatePayload(definition.schema, payloadOf(item), `task "${taskId}"`), options: item.options ?? {},
    });
  };
  app.post("/api/tasks/:id/trigger", async (c) => {
    const access = c.get("access");
    const taskId = c.req.param("id");
    if (access.kind === "public") return c.json(await publicTrigger(access, taskId, await readBody(c, triggerBody), { service, signer: requireSigner(), triggerOf }));
    const body = await readBody(c, triggerBody);
    const { id, isCached } = await service.trigger({ ...triggerOf(taskId)(body), ...triggerTrace(c) });
    return c.json({ id, isCached });
  });
  app.post("/api/tasks/:id/batch", async (c) => {
    requireFull(c.get("access"), "Triggering a task");
    const { items, idempotencyKey } = await readBody(c, batchTriggerBody);
    const trigger = triggerOf(c.req.param("id"));
    const trace = triggerTrace(c);
    return c.json(await service.triggerBatch(items.map((item) => ({ ...trigger(item), ...trace })), idempotencyKey === undefined ? {} : { idempotencyKey }));
  });

  const requireSigner = (): TokenSigner => {
    if (!signer) throw new HttpError(400, "NO_SECRET_KEY", "Set a secret key (DURABLY_SECRET_KEY) to create tokens");
    return signer;
  };
  app.post("/api/tokens", async (c) => {
    requireFull(c.get("access"), "Creating a token");
    const body = await readBody(c, tokenBody);
    return c.json({ token: await createPublicToken(requireSigner(), body) });
  });
  app.post("/api/tokens/trigger", async (c) => {
    requireFull(c.get("access"), "Creating a token");
    const { task, ...options } = await readBody(c, triggerTokenBody);
    return c.json({ token: await createTriggerToken(requireSigner(), task, options) });
  });
  // For a page holding the secret key (the dashboard): EventSource must put its credential in the URL.
  app.post("/api/tokens/stream", async (c) => {
    requireFull(c.get("access"), "Creating a stream token");
    const { path } = await readBody(c, streamTokenBody);
    if (!STREAM_PATH.test(path)) throw new HttpError(400, "INVALID_REQUEST", `${path} is not a stream route`);
    return c.json({ token: await createStreamToken(requireSigner(), path) });
  });

  waitpointRoutes(app, service, readBody);
  bulkRoutes(app, service, readBody, grant, logger);
  purgeRoutes(app, service, readBody);
  auditRoutes(app, service);
  repairRoutes(app, parts, definitions, readBody);
  waitpointCallback(app, service, readBody);

  // Outside /api/ where Prometheus looks by default; it sends the secret key as `authorization: Bearer`.
  app.get("/metrics", async (c) => {
    requireFull(await resolveAccess(credentialOf(c), { streamPath: undefined }, { signer }), "Reading metrics");
    const { body, contentType } = await parts.metrics.scrape();
    return c.body(body, 200, { "content-type": contentType });
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
  const { requestTimeoutMs } = http.limits;
  // Node cuts a request whose headers and body have not all arrived in time (slow-body clients),
  // checking every second or so; a request that has arrived, an SSE stream included, runs on.
  const serverOptions = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, requestTimeoutMs / 2),
  };
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: http.port, hostname: http.host, serverOptions }, () => resolve(s));
    s.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${http.host.includes(":") ? `[${http.host}]` : http.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Open SSE streams would hold close() forever.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
