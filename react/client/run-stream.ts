import type { JournalEntry, JsonObject, Run, RunStreamMessage, Status } from "../types.ts";

/** The part of the DOM `EventSource` the subscription uses; lets tests and SSR pass a fake. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export interface RunStreamOptions {
  /** Builds the stream URL; given the last event id to resume from (null on a fresh start). */
  url: (lastEventId: string | null) => string;
  /** Resume point for the first connection: the revision the caller's snapshot already holds. */
  lastEventId?: string | null;
  /**
   * Whether reconnects resume from the last id seen. True for a run's stream; false for
   * `/api/runs/stream`, whose ids are per-run revisions and cannot be resumed from.
   */
  resume?: boolean;
  onMessage: (message: RunStreamMessage) => void;
  /** Called on every successful connection; `reconnect` is false only for the first. */
  onOpen?: (info: { reconnect: boolean }) => void;
  /** Called when the server sends `event: end` (the run finished); the subscription is over. */
  onEnd?: () => void;
  onError?: (error: unknown) => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  createEventSource?: EventSourceFactory;
}

const DEFAULT_INITIAL_BACKOFF_MS = 250;
const DEFAULT_MAX_BACKOFF_MS = 5_000;

/**
 * Subscribes to one of the engine's SSE routes. The browser's own reconnect is replaced by
 * ours so the resume point is explicit (`?lastEventId=`) and the delay grows exponentially.
 * Returns the unsubscribe function.
 */
export function subscribeToRunStream(options: RunStreamOptions): () => void {
  const resume = options.resume ?? true;
  const initialBackoff = options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
  const maxBackoff = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  const create = options.createEventSource ?? defaultEventSource;

  let lastEventId = options.lastEventId ?? null;
  let source: EventSourceLike | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let opened = false;
  let stopped = false;

  const stop = () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    source?.close();
    source = null;
  };

  const deliver = (event: MessageEvent<string>, type: "run" | "journal") => {
    if (stopped) return;
    try {
      const message = parseMessage(type, event.data, event.lastEventId);
      if (message) options.onMessage(message);
    } catch (error) {
      options.onError?.(error);
    }
    if (event.lastEventId) lastEventId = event.lastEventId;
  };

  const connect = () => {
    if (stopped) return;
    const es = create(options.url(resume || !opened ? lastEventId : null));
    source = es;
    es.onopen = () => {
      if (stopped || source !== es) return;
      failures = 0;
      const reconnect = opened;
      opened = true;
      options.onOpen?.({ reconnect });
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

function parseMessage(type: "run" | "journal", data: string, id: string): RunStreamMessage | null {
  const body = JSON.parse(data) as unknown;
  if (typeof body !== "object" || body === null) return null;
  const idRevision = id ? Number(id) : Number.NaN;
  if (type === "run") {
    const run = body as Run;
    return { type: "run", run, revision: Number.isFinite(idRevision) ? idRevision : run.revision };
  }
  const { entry, status, metadata } = body as { entry: JournalEntry; status?: Status; metadata?: JsonObject };
  if (!entry) return null;
  return {
    type: "journal",
    entry,
    revision: Number.isFinite(idRevision) ? idRevision : entry.revision,
    ...(status ? { status } : {}),
    ...(metadata ? { metadata } : {}),
  };
}
