import type { RunUpdate } from "../backend-types.ts";
import type { OnTheWire } from "../../wire/index.ts";
import type { JournalPush, MetadataPush, Run } from "../types.ts";
import type { EngineHttp } from "./request.ts";
import { followSse } from "./follow-sse.ts";
import { sseEvents } from "./sse-events.ts";
import { runFromWire, type WireRun } from "./wire-types.ts";

type WirePush = OnTheWire<JournalPush>;

function pushFromWire(wire: WirePush): JournalPush {
  const { entry, status, metadata } = wire;
  return {
    entry: { ...entry, output: entry.output, startedAt: new Date(entry.startedAt), finishedAt: new Date(entry.finishedAt) },
    // A run's stream pushes a status's current version, without its history.
    ...(status ? { status: { key: status.key, label: status.label, state: status.state, data: status.data, updatedAt: new Date(status.updatedAt) } } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

/**
 * A run's SSE stream (`GET /api/runs/:id/stream`) as `RunUpdate`s. A stream that drops before
 * the run's end (a restart) is opened again after the last event id it sent, which resumes it
 * with nothing missed and nothing sent twice.
 */
export async function* runUpdates(http: EngineHttp, runId: string, signal?: AbortSignal): AsyncGenerator<RunUpdate> {
  const path = (lastEventId: string | undefined) =>
    `/api/runs/${encodeURIComponent(runId)}/stream${lastEventId === undefined ? "" : `?lastEventId=${encodeURIComponent(lastEventId)}`}`;
  let last: Run | undefined;
  for await (const event of followSse(http, path, { runId }, signal)) {
    if (event.event === "end") return;
    if (event.event === "run") yield { type: "run", run: (last = runFromWire(JSON.parse(event.data) as WireRun)) };
    else if (event.event === "journal") yield { type: "journal", ...pushFromWire(JSON.parse(event.data) as WirePush) };
    else if (event.event === "metadata" && last) {
      // A child's change to this run's metadata, which no run event may follow: the run as of it.
      const { change, revision } = JSON.parse(event.data) as OnTheWire<MetadataPush>;
      yield { type: "run", run: (last = { ...last, metadata: change.metadata, updatedAt: new Date(change.at), revision }) };
    }
  }
}

/** `GET /api/runs/stream` as runs: each run that changes, as it is after the change. */
export async function* changedRuns(http: EngineHttp, signal?: AbortSignal): AsyncGenerator<Run> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  signal?.addEventListener("abort", stop);
  try {
    const body = await http.stream("/api/runs/stream", abort.signal, {});
    for await (const event of sseEvents(body)) {
      if (event.event === "run") yield runFromWire(JSON.parse(event.data) as WireRun);
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    signal?.removeEventListener("abort", stop);
    abort.abort();
  }
}
