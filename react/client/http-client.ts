import {
  RUN_STATUSES,
  type BulkAction,
  type BulkActionRequest,
  type BulkDryRun,
  type DurablyEvent,
  type RepairPlan,
  type MetadataHistory,
  type Run,
  type RunCounts,
  type RunFilters,
  type RunHandle,
  type RunJournal,
  type RunStatusesSnapshot,
  type RunsPage,
  type StreamInfo,
  type StreamSnapshot,
  type SendEventRequest,
  type SendEventResult,
  type TaskInfo,
  type TriggerTaskRequest,
  type WaitpointsPage,
  type WaitpointToken,
} from "../types.ts";

/** An error answered by the engine (`{ error: { code, message } }`) or a failed request. */
export class DurablyApiError extends Error {
  override name = "DurablyApiError";
  /** The engine's stable code (`UNAUTHORIZED`, `NOT_FOUND`, …), or `NETWORK_ERROR`/`HTTP_<status>`. */
  readonly code: string;
  /** The HTTP status; 0 when no answer arrived. */
  readonly status: number;

  constructor(code: string, message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

export interface HttpClientOptions {
  /** Where the engine serves `/api`; "" means the page's own origin. */
  baseUrl: string;
  /** A secret key or public access token, sent as `Authorization: Bearer`. */
  accessToken?: string | undefined;
  fetch?: typeof globalThis.fetch | undefined;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

export interface ListRunsParams extends RunFilters {
  cursor?: string | null | undefined;
}

export interface DurablyHttpClient {
  readonly baseUrl: string;
  readonly accessToken: string | undefined;
  listRuns(params?: ListRunsParams, options?: RequestOptions): Promise<RunsPage>;
  getRun(runId: string, options?: RequestOptions): Promise<Run>;
  getRunStatuses(runId: string, options?: RequestOptions): Promise<RunStatusesSnapshot>;
  getRunJournal(runId: string, options?: RequestOptions): Promise<RunJournal>;
  getRunMetadataHistory(runId: string, options?: RequestOptions): Promise<MetadataHistory>;
  /** The run's streams, in the order of their first chunk. */
  listRunStreams(runId: string, options?: RequestOptions): Promise<{ data: StreamInfo[] }>;
  /** A page of a stream's live chunks after `after` (default 0), at most `limit` (default 1000). */
  getRunStream(runId: string, key: string, params?: { after?: number; limit?: number }, options?: RequestOptions): Promise<StreamSnapshot>;
  getEvent(eventId: string, options?: RequestOptions): Promise<DurablyEvent>;
  getEventRuns(eventId: string, options?: RequestOptions): Promise<{ data: Run[] }>;
  getEventStatuses(eventId: string, options?: RequestOptions): Promise<RunStatusesSnapshot>;
  listTasks(options?: RequestOptions): Promise<{ data: TaskInfo[] }>;
  triggerTask(taskId: string, body: TriggerTaskRequest, options?: RequestOptions): Promise<RunHandle>;
  sendEvent(body: SendEventRequest, options?: RequestOptions): Promise<SendEventResult>;
  retryRun(runId: string, options?: RequestOptions): Promise<RunHandle>;
  replayRun(runId: string, options?: RequestOptions): Promise<RunHandle>;
  cancelRun(runId: string, options?: RequestOptions): Promise<RunHandle>;
  /** A batch's runs in batch order (the secret key, or a token scoped to the batch). */
  getBatch(batchId: string, options?: RequestOptions): Promise<{ id: string; runs: Run[] }>;
  /** Acts on every run a filter matches, in the background (a dry run only counts them). Needs the secret key. */
  startBulkAction(body: BulkActionRequest, options?: RequestOptions): Promise<BulkAction | BulkDryRun>;
  getBulkAction(bulkActionId: string, options?: RequestOptions): Promise<BulkAction>;
  /** Replays the task's failed runs against the engine's code: where each would first run differently. Needs the secret key. */
  getRepairPlan(taskId: string, options?: RequestOptions): Promise<RepairPlan>;
  /** Forks each run from its own step (a confirmed repair plan). Needs the secret key. */
  repairRuns(taskId: string, runs: { runId: string; fromSeq: number }[], options?: RequestOptions): Promise<{ forks: { runId: string; fromSeq: number; forkId: string }[] }>;
  getWaitToken(tokenId: string, options?: RequestOptions): Promise<WaitpointToken>;
  /** Tokens newest first; `runId`: the tokens that run waited on. Needs the secret key. */
  listWaitTokens(params?: { runId?: string | undefined; status?: string | undefined; tags?: string | undefined; cursor?: string | null | undefined }, options?: RequestOptions): Promise<WaitpointsPage>;
  /** The first completion wins; a later one is refused (409, `WAITPOINT_COMPLETED`). */
  completeWaitToken(tokenId: string, output: unknown, options?: RequestOptions): Promise<{ success: true }>;
  /**
   * The URL of an SSE route (`path` may hold a query), with `?token=` (EventSource cannot set headers) and the resume
   * point: `?lastEventId=` (an id the stream sent) and/or `?since=` (a run revision already held).
   */
  streamUrl(path: string, resume?: { lastEventId?: string | null | undefined; since?: number | null | undefined }): string;
}

/** A request the engine has not answered in this long fails, and is retried like any failure. */
const REQUEST_TIMEOUT_MS = 15_000;

export function createHttpClient(options: HttpClientOptions): DurablyHttpClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const accessToken = options.accessToken || undefined;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const id = encodeURIComponent;

  const where = baseUrl || "this origin";

  async function request<T>(method: "GET" | "POST", path: string, body: unknown, opts?: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    // An address that swallows packets would keep a fetch (and the hook) waiting for minutes.
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(), REQUEST_TIMEOUT_MS);
    const cancel = () => attempt.abort();
    opts?.signal?.addEventListener("abort", cancel);
    try {
      let response: Response;
      try {
        response = await doFetch(`${baseUrl}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: attempt.signal,
        });
      } catch (cause) {
        // Aborts are react-query's business (it cancels stale fetches); let them through untouched.
        if (opts?.signal?.aborted) throw cause;
        if (attempt.signal.aborted) {
          throw new DurablyApiError("TIMEOUT", `The engine at ${where} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`, 0, { cause });
        }
        throw new DurablyApiError("NETWORK_ERROR", `Could not reach the engine at ${where}`, 0, { cause });
      }
      const text = await response.text();
      const parsed = parseJson(text);
      if (!response.ok) throw errorFromResponse(response, parsed, `${where} answered ${method} ${path}`);
      if (parsed === undefined) {
        throw new DurablyApiError("INVALID_RESPONSE", `${where} answered ${method} ${path} without JSON: is it a durably engine?`, response.status);
      }
      return parsed as T;
    } finally {
      clearTimeout(timer);
      opts?.signal?.removeEventListener("abort", cancel);
    }
  }

  return {
    baseUrl,
    accessToken,
    async listRuns(params = {}, opts) {
      const page = await request<RunsPage>("GET", `/api/runs${runsQuery(params)}`, undefined, opts);
      // An engine before estimated counts sent no estimatedCounts, and counts on every page; one
      // before capped counts, no countsAtLeast.
      return {
        ...page, counts: page.counts ? completeCounts(page.counts) : null, estimatedCounts: page.estimatedCounts ?? [], countsAtLeast: page.countsAtLeast ?? [],
      };
    },
    getRun: (runId, opts) => request("GET", `/api/runs/${id(runId)}`, undefined, opts),
    getRunStatuses: (runId, opts) => request("GET", `/api/runs/${id(runId)}/statuses`, undefined, opts),
    getRunJournal: (runId, opts) => request("GET", `/api/runs/${id(runId)}/journal`, undefined, opts),
    getRunMetadataHistory: (runId, opts) =>
      request("GET", `/api/runs/${id(runId)}/metadata/history`, undefined, opts),
    listRunStreams: (runId, opts) => request("GET", `/api/runs/${id(runId)}/streams`, undefined, opts),
    getRunStream(runId, key, params = {}, opts) {
      const query = new URLSearchParams();
      if (params.after !== undefined) query.set("after", String(params.after));
      if (params.limit !== undefined) query.set("limit", String(params.limit));
      const text = query.toString();
      return request("GET", `/api/runs/${id(runId)}/streams/${id(key)}${text ? `?${text}` : ""}`, undefined, opts);
    },
    getEvent: (eventId, opts) => request("GET", `/api/events/${id(eventId)}`, undefined, opts),
    getEventRuns: (eventId, opts) => request("GET", `/api/events/${id(eventId)}/runs`, undefined, opts),
    getEventStatuses: (eventId, opts) => request("GET", `/api/events/${id(eventId)}/statuses`, undefined, opts),
    listTasks: (opts) => request("GET", "/api/tasks", undefined, opts),
    triggerTask: (taskId, body, opts) => request("POST", `/api/tasks/${id(taskId)}/trigger`, body, opts),
    sendEvent: (body, opts) => request("POST", "/api/events", body, opts),
    retryRun: (runId, opts) => request("POST", `/api/runs/${id(runId)}/retry`, {}, opts),
    replayRun: (runId, opts) => request("POST", `/api/runs/${id(runId)}/replay`, {}, opts),
    cancelRun: (runId, opts) => request("POST", `/api/runs/${id(runId)}/cancel`, {}, opts),
    getBatch: (batchId, opts) => request("GET", `/api/batches/${id(batchId)}`, undefined, opts),
    startBulkAction: (body, opts) => request("POST", "/api/bulk-actions", body, opts),
    getBulkAction: (bulkActionId, opts) => request("GET", `/api/bulk-actions/${id(bulkActionId)}`, undefined, opts),
    getRepairPlan: (taskId, opts) => request("GET", `/api/tasks/${id(taskId)}/repair`, undefined, opts),
    repairRuns: (taskId, runs, opts) => request("POST", `/api/tasks/${id(taskId)}/repair`, { runs }, opts),
    getWaitToken: (tokenId, opts) => request("GET", `/api/waitpoints/tokens/${id(tokenId)}`, undefined, opts),
    listWaitTokens(params = {}, opts) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
      const text = query.toString();
      return request("GET", `/api/waitpoints/tokens${text ? `?${text}` : ""}`, undefined, opts);
    },
    completeWaitToken: (tokenId, output, opts) =>
      request("POST", `/api/waitpoints/tokens/${id(tokenId)}/complete`, { data: output }, opts),
    streamUrl(path, resume = {}) {
      const params = new URLSearchParams();
      if (accessToken) params.set("token", accessToken);
      if (resume.lastEventId) params.set("lastEventId", resume.lastEventId);
      // Both for a run's stream with streams whose id leaves the run's part to `since` (`run-connection.ts`).
      if (resume.since !== undefined && resume.since !== null) params.set("since", String(resume.since));
      const query = params.toString();
      if (!query) return baseUrl + path;
      // A path may come with its own query (a run's stream with `?streams=`).
      return `${baseUrl}${path}${path.includes("?") ? "&" : "?"}${query}`;
    },
  };
}

/** Serializes list filters the way `GET /api/runs` reads them; empty values are left out. */
export function runsQuery(params: ListRunsParams): string {
  const query = new URLSearchParams();
  if (params.status && params.status.length > 0) query.set("status", params.status.join(","));
  const plain = ["taskIdentifier", "tag", "eventId", "from", "to", "metadataKey", "metadataValue"] as const;
  for (const name of plain) {
    const value = params[name];
    if (value) query.set(name, value);
  }
  if (params.limit !== undefined) query.set("limit", String(Math.min(100, params.limit)));
  if (params.cursor) query.set("cursor", params.cursor);
  const text = query.toString();
  return text ? `?${text}` : "";
}

function completeCounts(counts: Partial<RunCounts> | undefined): RunCounts {
  const complete = {} as RunCounts;
  for (const status of RUN_STATUSES) complete[status] = counts?.[status] ?? 0;
  return complete;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The engine's own error when it sent one; otherwise what answered instead says what is wrong: a
 * proxy's 502 while the engine is down, or a 404 from a baseUrl that is not a durably engine.
 */
function errorFromResponse(response: Response, body: unknown, answered: string): DurablyApiError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (typeof error?.code === "string" && typeof error.message === "string") return new DurablyApiError(error.code, error.message, response.status);
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
  const hint = response.status >= 500 ? "is the engine running?" : "is it a durably engine?";
  return new DurablyApiError(`HTTP_${response.status}`, `${answered} with ${status}: ${hint}`, response.status);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
