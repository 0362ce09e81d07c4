import type { Hono } from "hono";
import { EventNotFoundError } from "../../sdk/errors.ts";
import { RUN_STATUSES, type RunStatus, type TaskOverview, type TasksOverview } from "../../wire/index.ts";
import type { Access } from "../auth/access.ts";
import { requireFull } from "../auth/access.ts";
import type { EngineParts } from "../parts.ts";
import { HttpError } from "./http-errors.ts";

const HOUR_MS = 3_600_000;

interface TaskRow {
  id: string;
  kind: "task" | "job";
  event_name: string | null;
  queue: string | null;
  concurrency_limit: number | null;
  rate_limit: number | null;
  rate_period_ms: number | null;
  started_in_period: number;
  queued: number;
  top_priority: number | null;
  versions: string[];
  counts: Partial<Record<RunStatus, number>>;
  p50_ms: number | null;
  p95_ms: number | null;
  buckets: number[];
}

/** The dashboard's Tasks page (`GET /api/tasks/overview`) and header search (`GET /api/search?q=`); secret key only. */
export function overviewRoutes(app: Hono<{ Variables: { access: Access } }>, parts: EngineParts): void {
  app.get("/api/tasks/overview", async (c) => {
    requireFull(c.get("access"), "The tasks overview");
    const since = new Date(Date.now() - HOUR_MS);
    const { rows } = await parts.db.query<TaskRow>(parts.sql.overview.tasks, [since]);
    const answer: TasksOverview = { since, data: rows.map(toOverview) };
    return c.json(answer);
  });

  app.get("/api/search", async (c) => {
    requireFull(c.get("access"), "Searching");
    const q = (c.req.query("q") ?? "").trim();
    if (!q || q.length > 256) throw new HttpError(400, "INVALID_REQUEST", "Search for a run id, event id or idempotency key (1 to 256 characters)");
    const [{ rows }, event] = await Promise.all([
      parts.db.query<{ id: string }>(parts.sql.overview.runsMatching, [q]),
      parts.service.getEvent(q).catch((error: unknown) => {
        if (error instanceof EventNotFoundError) return undefined;
        throw error;
      }),
    ]);
    const runs = await Promise.all(rows.map((row) => parts.service.retrieveRun(row.id)));
    return c.json({ runs, events: event ? [{ id: event.id, name: event.name, createdAt: event.createdAt }] : [] });
  });
}

function toOverview(row: TaskRow): TaskOverview {
  const counts = Object.fromEntries(RUN_STATUSES.map((status) => [status, row.counts[status] ?? 0])) as Record<RunStatus, number>;
  return {
    id: row.id,
    kind: row.kind,
    eventName: row.event_name,
    versions: row.versions,
    queue: row.queue,
    concurrencyLimit: row.concurrency_limit,
    rateLimit: row.rate_limit !== null && row.rate_period_ms !== null
      ? { limit: row.rate_limit, periodMs: row.rate_period_ms, startedInPeriod: row.started_in_period }
      : null,
    queued: row.queued,
    topPriority: row.top_priority,
    counts,
    p50Ms: row.p50_ms === null ? null : Math.round(row.p50_ms),
    p95Ms: row.p95_ms === null ? null : Math.round(row.p95_ms),
    buckets: row.buckets,
  };
}
