import { checkStreamKey } from "../../sdk/stream-key.ts";
import type { StreamEnd } from "../../sdk/types.ts";
import type { Logger } from "../logger.ts";
import type { StreamCursor, StreamReads } from "../streams/stream-reads.ts";
import { HttpError } from "./http-errors.ts";
import type { SseStream } from "./sse.ts";

/** Streams one run connection carries at most: each is a read per change, and their positions go in every event id. */
export const MAX_CARRIED_STREAMS = 32;

/** Where a run connection resumes: its run's changes (an id of `run-stream.ts`) and each carried stream. */
export interface RunResume {
  run: number;
  /** One per key of `?streams=`, in its order. */
  streams: StreamCursor[];
}

/** `?streams=a,b`: the keys a run connection carries besides the run, once each, in the order given. */
export function parseCarriedKeys(raw: string | undefined): string[] {
  if (raw === undefined || raw === "") return [];
  const keys = [...new Set(raw.split(","))];
  if (keys.length > MAX_CARRIED_STREAMS) {
    throw new HttpError(400, "INVALID_REQUEST", `A run's stream carries at most ${MAX_CARRIED_STREAMS} streams; ${keys.length} were asked for`);
  }
  return keys.map(checkStreamKey);
}

const POSITION = /^(\d{1,9})\.(\d{1,15})$/;

/**
 * A connection that carries streams gives each event the id `<run>_<resets>.<index>_…`: the
 * run's position (a `2R`/`2R+1` id of `run-stream.ts`), then each stream's, in the order of
 * `?streams=`, as they stand once the event is taken. The last id a client holds is so where
 * every part of it resumes, whichever part sent last. The run's part may be left empty (a
 * client that has the streams' positions and only a snapshot of the run): `since` says it then.
 * Positions missing at the end (streams added since) start at the stream's first chunk.
 */
export function parseRunResume(
  header: string | undefined, query: { lastEventId?: string; since?: string }, keyCount: number,
): RunResume {
  const [runPart, ...positions] = (header ?? query.lastEventId ?? "").split("_");
  const streams = Array.from({ length: keyCount }, (_, i): StreamCursor => {
    const match = POSITION.exec(positions[i] ?? "");
    return match ? { resets: Number(match[1]), after: Number(match[2]) } : { resets: 0, after: 0 };
  });
  if (runPart !== undefined && /^\d{1,15}$/.test(runPart)) return { run: Number(runPart), streams };
  if (query.since !== undefined && /^\d{1,15}$/.test(query.since)) return { run: Number(query.since) * 2 + 1, streams };
  return { run: 0, streams };
}

/** The id of an event on a run connection: the run's position alone, or with every carried stream's. */
export function connectionId(run: number, streams: readonly StreamCursor[]): string {
  let id = String(run);
  for (const { resets, after } of streams) id += `_${resets ?? 0}.${after}`;
  return id;
}

export interface CarriedStreamsOptions {
  runId: string;
  keys: readonly string[];
  /** Each key's position, moved as its events are sent; `idOf` reads them. */
  positions: StreamCursor[];
  idOf: () => string;
  reads: StreamReads;
  logger: Logger;
  signal: AbortSignal;
  /** A stream was sent to its end. */
  onEnd: (end: StreamEnd) => void;
  /** A stream's read failed: the connection ends, and its client resumes where it stood. */
  onFail: () => void;
}

/**
 * Follows each carried stream onto the run's connection: `chunk` `{ key, index, data }`,
 * `reset` `{ key, fromIndex, resets }` and `stream-end` (`StreamEnd`), the same events the
 * stream's own route sends, with the key.
 */
export function followCarriedStreams(stream: SseStream, options: CarriedStreamsOptions): void {
  const { runId, keys, positions, idOf, reads, signal } = options;
  keys.forEach(async (key, i) => {
    const position = positions[i]!;
    const keyText = JSON.stringify(key);
    try {
      for await (const event of reads.follow(runId, key, position, signal)) {
        await stream.ready();
        if (signal.aborted) return;
        if (event.type === "chunks") {
          position.resets = event.resets;
          stream.sendAll(event.chunks.map(({ index, text }) => {
            position.after = index;
            return { event: "chunk", id: idOf(), data: `{"key":${keyText},"index":${index},"data":${text}}` };
          }));
        } else if (event.type === "reset") {
          const { fromIndex, resets } = event;
          position.resets = resets;
          position.after = fromIndex - 1;
          stream.send({ event: "reset", id: idOf(), data: JSON.stringify({ key, fromIndex, resets }) });
        } else {
          const { status, lastIndex } = event;
          const end: StreamEnd = { runId, key, status, lastIndex };
          stream.send({ event: "stream-end", id: idOf(), data: JSON.stringify(end) });
          options.onEnd(end);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      options.logger.warn("stream follower failed", { runId, key, error: (error as Error).message });
      options.onFail();
    }
  });
}
