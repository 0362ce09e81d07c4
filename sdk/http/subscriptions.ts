import type { Run } from "../types.ts";
import { followSse } from "./follow-sse.ts";
import type { EngineHttp } from "./request.ts";
import type { SseEvent } from "./sse-events.ts";
import type { RequestSubject } from "./wire-errors.ts";
import { runFromWire, type WireRun } from "./wire-types.ts";

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
  for await (const event of followSse(http, () => pathFor(seen), subject, stop)) {
    if (event.event === "end") return;
    const run = snapshotOf(event);
    if (!run || run.revision <= (seen.get(run.id) ?? 0)) continue;
    seen.set(run.id, run.revision);
    yield run;
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
