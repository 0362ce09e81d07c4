import type { StreamEnd, StreamPart } from "../types.ts";
import type { EventSourceFactory, EventSourceLike } from "./run-stream.ts";

export interface ChunkStreamOptions {
  /** The stream's SSE URL, resuming after `lastEventId` (`<resets>.<index>`) when there is one. */
  url: (lastEventId: string | null) => string;
  lastEventId: string | null;
  onChunk: (part: StreamPart, eventId: string) => void;
  /** Every part from `fromIndex` on was superseded: drop them; the live ones follow. */
  onReset: (fromIndex: number, eventId: string) => void;
  onEnd: (end: StreamEnd) => void;
  onOpen?: (() => void) | undefined;
  onError?: ((error: unknown) => void) | undefined;
  /**
   * Asked before reconnecting when a connection failed without ever opening (EventSource tells no
   * status): false stops, for a stream the credential may not read.
   */
  mayRetry?: (() => Promise<boolean>) | undefined;
  createEventSource?: EventSourceFactory | undefined;
}

const INITIAL_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;

/**
 * Follows one stream of a run (`/api/runs/:id/streams/:key/stream`): chunks, resets and the end,
 * reconnecting with growing delays and resuming after the last event id taken, so a dropped
 * connection neither loses nor repeats a chunk. Returns the unsubscribe function.
 */
export function subscribeToChunkStream(options: ChunkStreamOptions): () => void {
  const create = options.createEventSource ?? ((url: string) => new EventSource(url) as unknown as EventSourceLike);
  let lastEventId = options.lastEventId;
  let source: EventSourceLike | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let stopped = false;
  let everOpened = false;

  const stop = () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    source?.close();
    source = null;
  };

  const handle = (es: EventSourceLike, apply: (data: unknown, id: string) => void) => (event: MessageEvent<string>) => {
    if (stopped || source !== es) return;
    try {
      apply(JSON.parse(event.data), event.lastEventId);
      if (event.lastEventId) lastEventId = event.lastEventId;
    } catch (error) {
      options.onError?.(error);
    }
  };

  const connect = () => {
    if (stopped) return;
    const es = create(options.url(lastEventId));
    source = es;
    es.onopen = () => {
      if (stopped || source !== es) return;
      failures = 0;
      everOpened = true;
      options.onOpen?.();
    };
    es.onerror = (event) => {
      if (stopped || source !== es) return;
      es.close();
      source = null;
      options.onError?.(event);
      const delay = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** failures);
      failures += 1;
      const retry = () => {
        if (stopped) return;
        timer = setTimeout(() => {
          timer = null;
          connect();
        }, delay);
      };
      if (everOpened || !options.mayRetry) return retry();
      void options.mayRetry().then((may) => (may ? retry() : stop()), retry);
    };
    es.addEventListener("chunk", handle(es, (data, id) => options.onChunk(data as StreamPart, id)));
    es.addEventListener("reset", handle(es, (data, id) => options.onReset((data as { fromIndex: number }).fromIndex, id)));
    es.addEventListener("end", handle(es, (data) => {
      stop();
      options.onEnd(data as StreamEnd);
    }));
  };

  connect();
  return stop;
}
