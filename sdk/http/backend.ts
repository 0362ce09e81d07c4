import type { Backend, PublicTokenOptions, TriggerRequest } from "../backend-types.ts";
import { InvalidPayloadError, TimeoutError } from "../errors.ts";
import type { ListRunsFilter, RunList } from "../types.ts";
import { engineHttp, type HttpOptions } from "./request.ts";
import { changedRuns, runUpdates } from "./run-updates.ts";
import { followRun, followRuns } from "./subscriptions.ts";
import { waitForEnd } from "./wait-for-end.ts";
import { streamCalls } from "./streams.ts";
import { waitpointCalls } from "./waitpoints.ts";
import { bulkCalls } from "./bulk.ts";
import { purgeCalls } from "./purge.ts";
import { auditCalls } from "./audit.ts";
import { loadOtelApi } from "../tracing/otel-api.ts";
import { callerTraceContext } from "../tracing/trace-context.ts";
import { eventFromWire, runFromWire, scheduleFromWire, statusesFromWire, type WireEvent, type WireRun, type WireSchedule, type WireStatuses } from "./wire-types.ts";

/** How long a poll waits before reading again when the engine has no stream to spare (429). */
const BUSY_WAIT_MS = 1_000;

/**
 * The backend of an app that cannot reach the database: every call is a request to a running
 * engine's HTTP API (docs/http-api.md) with the secret key. The engine executing the task decides
 * its version and queue, and checks the payload against the task's schema when it has the code.
 */
export function httpBackend(options: HttpOptions): Backend {
  const http = engineHttp(options);
  const id = encodeURIComponent;
  const post = <T>(path: string, body: unknown, subject: { runId?: string; taskId?: string } = {}, headers?: Record<string, string>) =>
    http.json<T>("POST", path, { body, subject, headers });
  /**
   * A trigger carries the caller's trace context as `traceparent` / `tracestate` headers, which the
   * engine stores with the run, as a direct backend does (docs/observability.md).
   */
  const traceHeaders = async () => {
    await loadOtelApi();
    return callerTraceContext() ?? undefined;
  };
  const runAction = (runId: string, action: string, body: unknown = {}) => post<{ id: string }>(`/api/runs/${id(runId)}/${action}`, body, { runId });

  const retrieveRun = async (runId: string) => runFromWire(await http.json<WireRun>("GET", `/api/runs/${id(runId)}`, { subject: { runId } }));

  const triggerBatch = async (requests: TriggerRequest[], options: { idempotencyKey?: string } = {}) => {
    const [first] = requests;
    if (!first) throw new InvalidPayloadError("A batch needs at least one item");
    if (requests.some((r) => r.taskId !== first.taskId)) throw new InvalidPayloadError("A batch sent over HTTP holds runs of one task");
    const items = requests.map((r) => ({ payload: r.payload, ...(r.options ? { options: r.options } : {}) }));
    return post<{ batchId: string; runs: { id: string; isCached: boolean }[] }>(
      `/api/tasks/${id(first.taskId)}/batch`, { items, ...options }, { taskId: first.taskId }, await traceHeaders());
  };

  return {
    async trigger(request) {
      const body = { payload: request.payload, ...(request.options ? { options: request.options } : {}) };
      return post<{ id: string; isCached: boolean }>(`/api/tasks/${id(request.taskId)}/trigger`, body, { taskId: request.taskId }, await traceHeaders());
    },
    batchTrigger: async (requests) => (requests.length === 0 ? [] : (await triggerBatch(requests)).runs),
    triggerBatch,
    subscribeToRun: (runId) => followRun(http, runId, retrieveRun),
    subscribeToRunsWithTag: (tag) => followRuns(http, () => `/api/tags/${id(tag)}/stream`, {}),
    subscribeToBatch: (batchId) => followRuns(http, () => `/api/batches/${id(batchId)}/stream`, {}),
    sendEvent: (request) => post("/api/events", request),
    retrieveRun,
    async listRuns(filter: ListRunsFilter): Promise<RunList> {
      const { data, nextCursor } = await http.json<{ data: WireRun[]; nextCursor: string | null }>("GET", `/api/runs${listQuery(filter)}`);
      return { data: data.map(runFromWire), nextCursor };
    },
    async getRunStatuses(runId) {
      return statusesFromWire(await http.json<WireStatuses>("GET", `/api/runs/${id(runId)}/statuses`, { subject: { runId } }));
    },
    async getEvent(eventId) {
      return eventFromWire(await http.json<WireEvent>("GET", `/api/events/${id(eventId)}`, { subject: { eventId } }));
    },
    retryRun: (runId) => runAction(runId, "retry"),
    replayRun: (runId) => runAction(runId, "replay"),
    cancelRun: (runId) => runAction(runId, "cancel"),
    forkRun: (runId, { fromSeq }) => runAction(runId, "fork", { fromSeq }),
    async createSchedule(schedule) {
      return scheduleFromWire(await post<WireSchedule>("/api/schedules", schedule, { taskId: schedule.task }));
    },
    async listSchedules(filter = {}) {
      const query = filter.task ? `?task=${id(filter.task)}` : "";
      return (await http.json<{ data: WireSchedule[] }>("GET", `/api/schedules${query}`)).data.map(scheduleFromWire);
    },
    deleteSchedule: (scheduleId) => http.json("DELETE", `/api/schedules/${id(scheduleId)}`, { subject: { scheduleId } }),
    async setScheduleActive(scheduleId, active) {
      const path = `/api/schedules/${id(scheduleId)}/${active ? "activate" : "deactivate"}`;
      return scheduleFromWire(await http.json<WireSchedule>("POST", path, { subject: { scheduleId } }));
    },
    async createPublicToken(token: PublicTokenOptions) {
      return (await post<{ token: string }>("/api/tokens", token)).token;
    },
    async createTriggerPublicToken(taskId, options) {
      const expirationTime = options.expirationTime instanceof Date ? options.expirationTime.toISOString() : options.expirationTime;
      return (await post<{ token: string }>("/api/tokens/trigger", { task: taskId, ...options, expirationTime }, { taskId })).token;
    },
    async pollRun(runId, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await retrieveRun(runId);
        if (run.isCompleted) return run;
        const left = deadline - Date.now();
        if (left <= 0) throw new TimeoutError(`Run ${runId} did not finish within ${timeoutMs} ms (it is ${run.status})`);
        await waitForEnd(http, runId, run.revision, left).catch(async (error: { code?: string }) => {
          if (error.code !== "TOO_MANY_STREAMS") throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.min(BUSY_WAIT_MS, left)));
        });
      }
    },
    subscribeToRunUpdates: (runId, { signal } = {}) => runUpdates(http, runId, signal),
    subscribeToAllRuns: ({ signal } = {}) => changedRuns(http, signal),
    // Nothing to release: fetch keeps no connection the app would have to close.
    async close() {},
    ...waitpointCalls(http),
    ...streamCalls(http),
    ...bulkCalls(http),
    ...purgeCalls(http),
    ...auditCalls(http),
  };
}

/** A filter as `GET /api/runs` reads it: lists comma-joined, dates in ISO 8601. */
function listQuery(filter: ListRunsFilter): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filter) as [keyof ListRunsFilter, ListRunsFilter[keyof ListRunsFilter]][]) {
    if (value === undefined) continue;
    query.set(key, value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}
