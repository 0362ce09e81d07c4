import type { JournalEntry, JsonObject, MetadataChange, PushedStatus, Run, RunStreamMessage } from "../types.ts";

/** The part of the DOM `EventSource` the subscription uses; lets tests and SSR pass a fake. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/** Where a connection starts: after an event id the stream sent, or after a run revision. */
export interface StreamResumePoint {
  lastEventId: string | null;
  since: number | null;
}

export interface RunStreamOptions {
  /** Builds the stream URL for a connection. */
  url: (resume: StreamResumePoint) => string;
  /**
   * The run revision the caller's snapshot already holds (`?since=`), so the first connection
   * sends only what came after it. Event ids are opaque (the engine encodes more than the
   * revision in them), so a snapshot's revision is never passed as a last event id.
   */
  since?: number | null | undefined;
  /**
   * Whether reconnects resume from the last id seen. True for a run's stream; false for
   * `/api/runs/stream`, whose ids are per-run revisions and cannot be resumed from.
   */
  resume?: boolean | undefined;
  onMessage: (message: RunStreamMessage) => void;
  /** Called on every successful connection, the first included. */
  onOpen?: (() => void) | undefined;
  /** Called when the server sends `event: end` (the run finished); the subscription is over. */
  onEnd?: (() => void) | undefined;
  onError?: ((error: unknown) => void) | undefined;
  initialBackoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
  createEventSource?: EventSourceFactory | undefined;
}

const DEFAULT_INITIAL_BACKOFF_MS = 250;
const DEFAULT_MAX_BACKOFF_MS = 5_000;

/**
 * Subscribes to one of the engine's SSE routes. The browser's own reconnect is replaced by
 * ours so the resume point is explicit (`?lastEventId=` the last id seen) and the delay grows
 * exponentially.
 * Returns the unsubscribe function.
 */
export function subscribeToRunStream(options: RunStreamOptions): () => void {
  const resume = options.resume ?? true;
  const initialBackoff = options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
  const maxBackoff = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  const create = options.createEventSource ?? defaultEventSource;

  const since = options.since ?? null;
  let lastEventId: string | null = null;
  let source: EventSourceLike | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let stopped = false;

  const stop = () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    source?.close();
    source = null;
  };

  const deliver = (event: MessageEvent<string>, type: "run" | "journal" | "metadata") => {
    if (stopped) return;
    try {
      const message = parseMessage(type, event.data);
      if (message) options.onMessage(message);
    } catch (error) {
      options.onError?.(error);
    }
    if (event.lastEventId) lastEventId = event.lastEventId;
  };

  const connect = () => {
    if (stopped) return;
    // Until the stream has sent an id, a reconnect starts again from the snapshot's revision.
    const point: StreamResumePoint = resume && lastEventId !== null ? { lastEventId, since: null } : { lastEventId: null, since };
    const es = create(options.url(point));
    source = es;
    es.onopen = () => {
      if (stopped || source !== es) return;
      failures = 0;
      options.onOpen?.();
    };
    es.onerror = (event) => {
      if (stopped || source !== es) return;
      es.close();
      source = null;
      options.onError?.(event);
      const delay = Math.min(maxBackoff, initialBackoff * 2 ** failures);
      failures += 1;
      timer = setTimeout(() => {
        timer = null;
        connect();
      }, delay);
    };
    es.addEventListener("run", (event) => deliver(event, "run"));
    es.addEventListener("journal", (event) => deliver(event, "journal"));
    es.addEventListener("metadata", (event) => deliver(event, "metadata"));
    es.addEventListener("end", () => {
      if (stopped) return;
      stop();
      options.onMessage({ type: "end" });
      options.onEnd?.();
    });
  };

  connect();
  return stop;
}

function defaultEventSource(url: string): EventSourceLike {
  if (typeof EventSource === "undefined") {
    throw new Error("EventSource is not available here; pass createEventSource to DurablyProvider");
  }
  return new EventSource(url) as unknown as EventSourceLike;
}

/** The revision comes from the payload (`run.revision`, `entry.revision`), never from the event id. */
function parseMessage(type: "run" | "journal" | "metadata", data: string): RunStreamMessage | null {
  const body = JSON.parse(data) as unknown;
  if (typeof body !== "object" || body === null) return null;
  if (type === "run") {
    const run = body as Run;
    return typeof run.revision === "number" ? { type: "run", run, revision: run.revision } : null;
  }
  if (type === "metadata") {
    const { change, revision } = body as { change?: MetadataChange; revision?: number };
    return change && typeof revision === "number" ? { type: "metadata", change, revision } : null;
  }
  const { entry, status, metadata } = body as { entry?: JournalEntry; status?: PushedStatus; metadata?: JsonObject };
  if (!entry || typeof entry.revision !== "number") return null;
  return {
    type: "journal",
    entry,
    revision: entry.revision,
    ...(status ? { status } : {}),
    ...(metadata ? { metadata } : {}),
  };
}
