import { RunNotFoundError } from "../../sdk/errors.ts";
import type { RunStatus } from "../../sdk/types.ts";
import { isFinalRunStatus, type FinalRunStatus } from "../../wire/index.ts";
import type { EngineParts } from "../parts.ts";
import { MAX_CARRIED_STREAMS, type CarriedStreams } from "./run-stream-keys.ts";
import type { SseStream } from "./sse.ts";

/** Looked at again this often even when nothing was heard, in case a notification was lost (as stream followers do). */
const SAFETY_LOOK_MS = 5_000;

export interface AllStreamsOptions {
  parts: EngineParts;
  runId: string;
  carried: CarriedStreams;
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
 * `MAX_CARRIED_STREAMS`, the first found; a look finding more sends `stream-limit`
 * `{ limit, streams }` (how many the run has). Returns what stops it.
 */
export function carryAllStreams(stream: SseStream, options: AllStreamsOptions): () => void {
  const { parts, runId, carried, positions, idOf, signal } = options;
  let resumed: string[] | undefined = [...positions.keys()];
  let dirty = true;
  let looking: Promise<void> | undefined;
  let complete = false;
  /** Streams of the run found past the cap: not carried, and their commits are no reason to look. */
  const leftOut = new Set<string>();

  const announce = (key: string) => {
    if (carried.has(key) || carried.size >= MAX_CARRIED_STREAMS) return;
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
      const before = leftOut.size;
      for (const key of keys) if (!carried.has(key)) leftOut.add(key);
      // Told, not dropped silently: the client knows its streams are not all here.
      if (leftOut.size > before) {
        stream.send({ event: "stream-limit", id: idOf(), data: JSON.stringify({ limit: MAX_CARRIED_STREAMS, streams: carried.size + leftOut.size }) });
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
