/** The part of the DOM `EventSource` the subscriptions use; lets tests and SSR pass a fake. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export interface SseReaderOptions {
  /** The URL of the next connection, given the id of the last event taken (null before any). */
  url: (lastEventId: string | null) => string;
  /** What to do with each event type: its data parsed from JSON, and its id ("" without one). */
  on: Record<string, (data: unknown, id: string) => void>;
  /** Called on every connection that opens, the first included. */
  onOpen?: (() => void) | undefined;
  onError?: ((error: unknown) => void) | undefined;
  /**
   * Asked before reconnecting after a connection failed without opening (EventSource tells no
   * status): false stops, for a route the credential may not read.
   */
  mayRetry?: (() => Promise<boolean>) | undefined;
  initialBackoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
  createEventSource?: EventSourceFactory | undefined;
}

export interface SseReader {
  /** Closes the connection for good; events already on their way are dropped. */
  stop(): void;
  /** Closes the connection and opens the next one now (its URL asked for again). */
  reconnect(): void;
}

const DEFAULT_INITIAL_BACKOFF_MS = 250;
const DEFAULT_MAX_BACKOFF_MS = 5_000;

/**
 * One SSE route followed across dropped connections: the browser's own reconnect is replaced by
 * ours, so the resume point is explicit (the URL is asked for again with the last event id taken)
 * and the delay grows exponentially. Every subscription of the hooks reads through it.
 */
export function createSseReader(options: SseReaderOptions): SseReader {
  const initialBackoff = options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
  const maxBackoff = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  const create = options.createEventSource ?? defaultEventSource;
  let lastEventId: string | null = null;
  let source: EventSourceLike | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let stopped = false;

  const close = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    source?.close();
    source = null;
  };

  const connect = () => {
    if (stopped) return;
    const es = create(options.url(lastEventId));
    source = es;
    let opened = false;
    es.onopen = () => {
      if (stopped || source !== es) return;
      opened = true;
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
      const retry = () => {
        if (stopped || source !== null) return;
        timer = setTimeout(() => {
          timer = null;
          connect();
        }, delay);
      };
      if (opened || !options.mayRetry) return retry();
      void options.mayRetry().then((may) => {
        // Reconnected (or stopped) meanwhile: the answer is about a connection that is gone.
        if (stopped || source !== null) return;
        if (may) retry();
        else reader.stop();
      }, retry);
    };
    for (const [type, handle] of Object.entries(options.on)) {
      es.addEventListener(type, (event) => {
        if (stopped || source !== es) return;
        try {
          handle(JSON.parse(event.data), event.lastEventId);
        } catch (error) {
          options.onError?.(error);
        }
        if (event.lastEventId) lastEventId = event.lastEventId;
      });
    }
  };

  const reader: SseReader = {
    stop: () => {
      stopped = true;
      close();
    },
    reconnect: () => {
      if (stopped) return;
      close();
      connect();
    },
  };
  connect();
  return reader;
}

function defaultEventSource(url: string): EventSourceLike {
  if (typeof EventSource === "undefined") {
    throw new Error("EventSource is not available here; pass createEventSource to DurablyProvider");
  }
  return new EventSource(url) as unknown as EventSourceLike;
}
