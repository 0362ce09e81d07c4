import type { Run } from "../types.ts";
import { applyMessageToRun } from "./cache-updates.ts";
import { DurablyApiError, type DurablyHttpClient } from "./http-client.ts";
import { subscribeToRunStream } from "./run-stream.ts";
import type { EventSourceFactory } from "./sse-reader.ts";

export interface WatchRunsOptions {
  /** The runs as they are now; a refusal (403, 404) here ends the watch before any stream opens. */
  load: (signal: AbortSignal) => Promise<Run[]>;
  /** A list stream (`/api/tags/:tag/stream`, `/api/batches/:id/stream`), with its token in the URL. */
  streamUrl: string;
  /** How the list is ordered. */
  order: (a: Run, b: Run) => number;
  onChange: (runs: Run[]) => void;
  onError: (error: DurablyApiError) => void;
  createEventSource?: EventSourceFactory | undefined;
}

/** Newest first, as `GET /api/runs` lists (ids sort by creation time). */
export const newestFirst = (a: Run, b: Run) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
/** The order they were made in: a batch's item order. */
export const oldestFirst = (a: Run, b: Run) => -newestFirst(a, b);

/**
 * A list of runs kept current: the loaded snapshot, then every run the stream pushes. A list
 * stream sends its runs' snapshots again on each reconnect; each run is kept at the newest
 * revision seen, so a reconnect repeats nothing and an older snapshot never replaces a newer one.
 * Returns the function that stops it.
 */
export function watchRuns(options: WatchRunsOptions): () => void {
  const byId = new Map<string, Run>();
  const put = (run: Run) => {
    const held = byId.get(run.id);
    if (held && held.revision >= run.revision) return false;
    byId.set(run.id, run);
    return true;
  };
  const publish = () => options.onChange([...byId.values()].sort(options.order));
  const abort = new AbortController();
  let unsubscribe = () => undefined as void;
  options.load(abort.signal).then(
    (runs) => {
      if (abort.signal.aborted) return;
      for (const run of runs) put(run);
      publish();
      unsubscribe = subscribeToRunStream({
        url: () => options.streamUrl,
        resume: false,
        onMessage: (message) => {
          if (message.type === "run" && put(message.run)) publish();
        },
        createEventSource: options.createEventSource,
      });
    },
    (error: unknown) => {
      if (abort.signal.aborted) return;
      options.onError(error instanceof DurablyApiError ? error : new DurablyApiError("NETWORK_ERROR", String(error), 0, { cause: error }));
    },
  );
  return () => {
    abort.abort();
    unsubscribe();
  };
}

/**
 * One run kept current through its own stream and token (not the provider's): the run read
 * once, then its pushed changes from that revision on, until it finishes.
 */
export function watchRun(
  api: DurablyHttpClient, runId: string, onRun: (run: Run) => void, onError: (error: DurablyApiError) => void, createEventSource?: EventSourceFactory,
): () => void {
  let current: Run | undefined;
  let unsubscribe = () => undefined as void;
  const abort = new AbortController();
  api.getRun(runId, { signal: abort.signal }).then(
    (run) => {
      if (abort.signal.aborted) return;
      current = run;
      onRun(run);
      if (run.isCompleted) return;
      unsubscribe = subscribeToRunStream({
        url: (resume) => api.streamUrl(`/api/runs/${encodeURIComponent(runId)}/stream`, resume),
        since: run.revision,
        onMessage: (message) => {
          const next = applyMessageToRun(current, message);
          if (next && next !== current) onRun((current = next));
        },
        createEventSource,
      });
    },
    (error: unknown) => {
      if (!abort.signal.aborted && error instanceof DurablyApiError) onError(error);
    },
  );
  return () => {
    abort.abort();
    unsubscribe();
  };
}
