import { RunNotFoundError } from "../../sdk/errors.ts";
import type { RunStatus } from "../../sdk/types.ts";
import { isFinalRunStatus, MAX_NAMED_LEFT_OUT, type FinalRunStatus, type StreamLimit } from "../../wire/index.ts";
import type { EngineParts } from "../parts.ts";
import { MAX_CARRIED_STREAMS, type CarriedStreams } from "./run-stream-keys.ts";
import type { SseStream } from "./sse.ts";

/** Looked at again this often even when nothing was heard, in case a notification was lost (as stream followers do). */
const SAFETY_LOOK_MS = 5_000;

export interface AllStreamsOptions {
  parts: EngineParts;
  runId: string;
  carried: CarriedStreams;
  /** Keys the connection carries by name besides `*` (left out of an earlier one): not announced for the resume point's sake. */
  named: readonly string[];
  /** Each carried stream's position: those of the resume point are carried first. */
  positions: Map<string, unknown>;
  idOf: () => string;
  signal: AbortSignal;
  /** The run has finished and every stream it wrote is carried. */
  onComplete: (status: FinalRunStatus) => void;
  onFail: (error: Error) => void;
}

/**
 * `?streams=*`: every stream of the run, announced (`stream` `{ key }`) and carried from when
 * the connection first sees it: those the resume point names (carried before, by the connection
 * the client had), then the run's others in the order they were first appended to, then each new
 * one once its first chunks have committed (the stream channel's notification names the run).
 * Once the run has finished, one more look finds every stream it wrote. At most
 * `MAX_CARRIED_STREAMS` announced, the first found; a look finding more sends `stream-limit`
 * (`wire.StreamLimit`: how many the run has, and the keys newly left out, up to
 * `MAX_NAMED_LEFT_OUT` named per connection, so a client can name those it follows beside `*`).
 * Returns what stops it.
 */
export function carryAllStreams(stream: SseStream, options: AllStreamsOptions): () => void {
  const { parts, runId, carried, positions, idOf, signal } = options;
  const named = new Set(options.named);
  let resumed: string[] | undefined = [...positions.keys()].filter((key) => !named.has(key));
  let dirty = true;
  let looking: Promise<void> | undefined;
  let complete = false;
  /** Streams announced: the `*` part of what the connection carries. */
  const announced = new Set<string>();
  /** Streams of the run found past the cap: not announced (carried only when named), and their commits are no reason to look. */
  const leftOut = new Set<string>();
  /** Left-out streams the connection's `stream-limit` events have named so far. */
  let namedLeftOut = 0;

  const announce = (key: string) => {
    if (announced.has(key) || announced.size >= MAX_CARRIED_STREAMS) return;
    announced.add(key);
    stream.send({ event: "stream", id: idOf(), data: JSON.stringify({ key }) });
    carried.carry(key);
  };
  const look = async () => {
    while (dirty && !complete && !signal.aborted) {
      dirty = false;
      const { rows } = await parts.db.query<{ status: RunStatus; keys: string[] }>(parts.sql.streams.keysOf, [runId]);
      if (!rows[0]) throw new RunNotFoundError(runId);
      if (signal.aborted) return;
      const { status, keys } = rows[0];
      if (resumed) {
        // A resume point naming a stream the run does not have (a made-up id) carries nothing of it.
        const listed = new Set(keys);
        for (const key of resumed) if (!listed.has(key)) positions.delete(key);
        for (const key of resumed) if (listed.has(key)) announce(key);
        resumed = undefined;
      }
      for (const key of keys) announce(key);
      const newly = keys.filter((key) => !announced.has(key) && !leftOut.has(key));
      // Told, not dropped silently: the client knows its streams are not all here, and which.
      if (newly.length > 0) {
        for (const key of newly) leftOut.add(key);
        const names = newly.slice(0, Math.max(0, MAX_NAMED_LEFT_OUT - namedLeftOut));
        namedLeftOut += names.length;
        const limit: StreamLimit = { limit: MAX_CARRIED_STREAMS, streams: announced.size + leftOut.size, leftOut: names };
        stream.send({ event: "stream-limit", id: idOf(), data: JSON.stringify(limit) });
      }
      if (isFinalRunStatus(status)) {
        complete = true;
        options.onComplete(status);
      }
    }
  };
  const kick = () => {
    if (complete || signal.aborted) return;
    dirty = true;
    looking ??= look()
      .catch((error: Error) => {
        if (!signal.aborted) options.onFail(error);
      })
      .finally(() => {
        looking = undefined;
        if (dirty && !complete && !signal.aborted) kick();
      });
  };

  const offs = [
    // A commit to a stream carried already is its follower's: only another stream's is a look.
    parts.listener.onRun(parts.channels.stream, runId, (change) => {
      const key = change.streamKey;
      if (key === undefined || !(carried.has(key) || leftOut.has(key))) kick();
    }),
    parts.listener.onRun(parts.channels.run, runId, (change) => change.finished && kick()),
    // Notifications sent while the listener's connection was down are lost: look again.
    parts.listener.onReconnect(kick),
  ];
  const safety = setInterval(kick, SAFETY_LOOK_MS);
  kick();
  return () => {
    for (const off of offs) off();
    clearInterval(safety);
  };
}
