import { DurablyError } from "../errors.ts";
import type { Run } from "../types.ts";
import type { EngineHttp } from "./request.ts";
import { sseEvents, type SseEvent } from "./sse-events.ts";
import { errorFromWire, type RequestSubject } from "./wire-errors.ts";
import { runFromWire, type WireRun } from "./wire-types.ts";

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;
/** Connections failing in a row for this long end the subscription with the last error. */
const GIVE_UP_MS = 60_000;

/** Errors that a new connection may get past: the engine restarting, a cut connection, a full server. */
function isPassing(error: unknown): boolean {
  return !(error instanceof DurablyError) || ["ENGINE_UNREACHABLE", "TOO_MANY_STREAMS", "INTERNAL"].includes(error.code);
}

/**
 * Run snapshots from an SSE route (`event: run`, ended by `event: end`), reconnecting when the
 * connection drops. `pathFor` gives the route for the next connection from the revision held of
 * each run; a snapshot at or below it is skipped, so a reconnect neither misses nor repeats a change.
 */
export function followRuns(
  http: EngineHttp, pathFor: (seen: ReadonlyMap<string, number>) => string, subject: RequestSubject, seen = new Map<string, number>(),
): AsyncIterableIterator<Run> {
  return cancellable((signal) => connections(http, pathFor, subject, seen, signal));
}

/**
 * An async generator's `return` waits for the `next` under way, which waits for the network: this
 * one's aborts the connection first, so a consumer's `break` ends a quiet subscription at once.
 */
function cancellable<T>(make: (signal: AbortSignal) => AsyncGenerator<T>): AsyncIterableIterator<T> {
  const stop = new AbortController();
  const generator = make(stop.signal);
  return {
    next: () => generator.next(),
    async return() {
      stop.abort();
      return generator.return(undefined);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** The run an event carries: list streams send only `event: run`. */
const runEvent = (event: SseEvent): Run | undefined => (event.event === "run" ? runFromWire(JSON.parse(event.data) as WireRun) : undefined);

async function* connections(
  http: EngineHttp, pathFor: (seen: ReadonlyMap<string, number>) => string, subject: RequestSubject, seen: Map<string, number>, stop: AbortSignal,
  snapshotOf: (event: SseEvent) => Run | undefined = runEvent,
): AsyncGenerator<Run> {
  let retryMs = FIRST_RETRY_MS;
  let failingSince: number | undefined;
  while (!stop.aborted) {
    const abort = new AbortController();
    const onStop = () => abort.abort();
    stop.addEventListener("abort", onStop);
    try {
      const body = await http.stream(pathFor(seen), abort.signal, subject);
      for await (const event of sseEvents(body)) {
        failingSince = undefined;
        retryMs = FIRST_RETRY_MS;
        if (event.event === "end") return;
        if (event.event === "failure") throw errorFromWire(500, JSON.parse(event.data), subject);
        const run = snapshotOf(event);
        if (!run || run.revision <= (seen.get(run.id) ?? 0)) continue;
        seen.set(run.id, run.revision);
        yield run;
      }
    } catch (error) {
      if (stop.aborted) return;
      if (!isPassing(error)) throw error;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > GIVE_UP_MS) throw error;
    } finally {
      stop.removeEventListener("abort", onStop);
      abort.abort();
    }
    // The stream ended without `end` (the server stopped, or a read of it failed): connect again.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, retryMs);
      stop.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }
}

/** `runs.subscribeToRun` over HTTP: the run as it is, then its stream from that revision on. */
export function followRun(http: EngineHttp, runId: string, retrieve: (id: string) => Promise<Run>): AsyncIterableIterator<Run> {
  return cancellable(async function* (signal) {
    const first = await retrieve(runId);
    yield first;
    if (first.isCompleted) return;
    const id = encodeURIComponent(runId);
    const seen = new Map([[runId, first.revision]]);
    let current = first;
    // A metadata change sent as the run's whole change at its revision (id 2R+1, engine/http/run-stream.ts)
    // is followed by no `run` event: it is the snapshot before it with that metadata.
    const snapshotOf = (event: SseEvent): Run | undefined => {
      if (event.event === "run") return runEvent(event);
      if (Number(event.id) % 2 !== 1) return undefined;
      if (event.event === "journal") {
        const push = JSON.parse(event.data) as { entry: { revision: number; finishedAt: string | null }; metadata?: Run["metadata"] };
        if (!push.metadata) return undefined;
        return { ...current, metadata: push.metadata, revision: push.entry.revision, ...(push.entry.finishedAt ? { updatedAt: new Date(push.entry.finishedAt) } : {}) };
      }
      if (event.event === "metadata") {
        const push = JSON.parse(event.data) as { change: { metadata: Run["metadata"]; at: string }; revision: number };
        return { ...current, metadata: push.change.metadata, revision: push.revision, updatedAt: new Date(push.change.at) };
      }
      return undefined;
    };
    const path = (held: ReadonlyMap<string, number>) => `/api/runs/${id}/stream?since=${held.get(runId) ?? 0}`;
    for await (const run of connections(http, path, { runId }, seen, signal, snapshotOf)) {
      current = run;
      yield run;
      if (run.isCompleted) return;
    }
  });
}
