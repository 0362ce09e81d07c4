import type { JournalEntry, JsonObject, MetadataChange, PushedStatus, Run, RunStreamMessage } from "../types.ts";
import { createSseReader, type EventSourceFactory } from "./sse-reader.ts";

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

/**
 * Subscribes to one of the engine's run SSE routes (a run's, or a list's with `resume: false`),
 * reconnecting through `sse-reader.ts` with `?lastEventId=` the last id seen. Returns the
 * unsubscribe function.
 */
export function subscribeToRunStream(options: RunStreamOptions): () => void {
  const resume = options.resume ?? true;
  const since = options.since ?? null;
  const deliver = (type: "run" | "journal" | "metadata") => (data: unknown) => {
    const message = parseMessage(type, data);
    if (message) options.onMessage(message);
  };
  const reader = createSseReader({
    // Until the stream has sent an id, a reconnect starts again from the snapshot's revision.
    url: (lastEventId) => options.url(resume && lastEventId !== null ? { lastEventId, since: null } : { lastEventId: null, since }),
    on: {
      run: deliver("run"),
      journal: deliver("journal"),
      metadata: deliver("metadata"),
      end: () => {
        reader.stop();
        options.onMessage({ type: "end" });
        options.onEnd?.();
      },
    },
    onOpen: options.onOpen,
    onError: options.onError,
    initialBackoffMs: options.initialBackoffMs,
    maxBackoffMs: options.maxBackoffMs,
    createEventSource: options.createEventSource,
  });
  return reader.stop;
}

/** The revision comes from the payload (`run.revision`, `entry.revision`), never from the event id. */
export function parseMessage(type: "run" | "journal" | "metadata", body: unknown): RunStreamMessage | null {
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
