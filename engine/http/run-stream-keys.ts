import { checkStreamKey } from "../../sdk/stream-key.ts";
import type { StreamEnd } from "../../sdk/types.ts";
import { isStreamKey } from "../../wire/index.ts";
import type { Logger } from "../logger.ts";
import type { StreamCursor, StreamReads } from "../streams/stream-reads.ts";
import { HttpError } from "./http-errors.ts";
import type { SseStream } from "./sse.ts";

/** Streams one run connection carries at most: each is a read per change, and their positions go in every event id. */
export const MAX_CARRIED_STREAMS = 32;

/**
 * What a run connection carries besides the run: the streams `?streams=a,b` names, in its order,
 * and (`?streams=*`) every stream of the run, each from when it appears, up to
 * `MAX_CARRIED_STREAMS` found. Keys named beside `*` (`?streams=*,s40`) are carried past those:
 * a client following a stream the `*` connection left out (`stream-limit` names it) asks for it so.
 */
export interface CarriedKeys {
  all: boolean;
  keys: string[];
}

export const NO_STREAMS: CarriedKeys = { all: false, keys: [] };

/** Where a run connection resumes: its run's changes (an id of `run-stream.ts`) and each carried stream. */
export interface RunResume {
  run: number;
  /** Each carried stream's position, by key; a stream missing starts at its first chunk. */
  streams: Map<string, StreamCursor>;
}

/** `?streams=a,b` (once each, in the order given), `?streams=*`, or `*` with keys beside it (`*,a,b`). */
export function parseCarriedKeys(raw: string | undefined): CarriedKeys {
  if (raw === undefined || raw === "") return NO_STREAMS;
  const named = [...new Set(raw.split(","))];
  const keys = named.filter((key) => key !== "*");
  if (keys.length > MAX_CARRIED_STREAMS) {
    throw new HttpError(400, "INVALID_REQUEST", `A run's stream carries at most ${MAX_CARRIED_STREAMS} streams by name; ${keys.length} were asked for`);
  }
  return { all: keys.length < named.length, keys: keys.map(checkStreamKey) };
}

const POSITION = /^(\d{1,9})\.(\d{1,15})$/;
const KEYED_POSITION = /^([^=]+)=(\d{1,9})\.(\d{1,15})$/;

/**
 * The id of each event on a connection that carries streams holds every position, as they stand
 * once the event is taken, so the last id a client holds is where every part resumes, whichever
 * part sent last. It starts with the run's position (a `2R`/`2R+1` id of `run-stream.ts`), which
 * may be left empty (a client that has the streams' positions and only a snapshot of the run):
 * `since` says it then.
 *
 * - Named streams: `<run>_<resets>.<index>_…`, each stream's position in the order of
 *   `?streams=`; positions missing at the end (streams added since) start at the first chunk.
 * - Every stream (`*`): `<run>~<key>=<resets>.<index>~…`, keyed, since the streams are found
 *   as they appear and their order could differ between two connections (two appends committing
 *   in another order than they started). Keys hold no `~` or `=`. A stream still at `0.0` is left
 *   out, as is any stream the client has not seen yet: both start at their first chunk.
 */
export function parseRunResume(
  header: string | undefined, query: { lastEventId?: string; since?: string }, carried: CarriedKeys = NO_STREAMS,
): RunResume {
  const id = header ?? query.lastEventId ?? "";
  const streams = new Map<string, StreamCursor>();
  let runPart: string | undefined;
  if (carried.all) {
    const [first, ...positions] = id.split("~");
    runPart = first;
    for (const part of positions) {
      const match = KEYED_POSITION.exec(part);
      // The first found and those named beside `*`.
      if (match && isStreamKey(match[1]) && streams.size < 2 * MAX_CARRIED_STREAMS) streams.set(match[1]!, { resets: Number(match[2]), after: Number(match[3]) });
    }
  } else {
    const [first, ...positions] = id.split("_");
    runPart = first;
    carried.keys.forEach((key, i) => {
      const match = POSITION.exec(positions[i] ?? "");
      streams.set(key, match ? { resets: Number(match[1]), after: Number(match[2]) } : { resets: 0, after: 0 });
    });
  }
  if (runPart !== undefined && /^\d{1,15}$/.test(runPart)) return { run: Number(runPart), streams };
  if (query.since !== undefined && /^\d{1,15}$/.test(query.since)) return { run: Number(query.since) * 2 + 1, streams };
  return { run: 0, streams };
}

/** The id of an event on a run connection: the run's position alone, or with every carried stream's (`parseRunResume`). */
export function connectionId(run: number, streams: ReadonlyMap<string, StreamCursor>, all: boolean): string {
  let id = String(run);
  for (const [key, { resets = 0, after }] of streams) {
    if (!all) id += `_${resets}.${after}`;
    else if (resets > 0 || after > 0) id += `~${key}=${resets}.${after}`;
  }
  return id;
}

export interface CarriedStreamsOptions {
  runId: string;
  /** Each key's position, moved as its events are sent; `idOf` reads them. */
  positions: Map<string, StreamCursor>;
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
 * Follows carried streams onto the run's connection: `chunk` `{ key, index, data }`, `reset`
 * `{ key, fromIndex, resets }` and `stream-end` (`StreamEnd`), the same events the stream's own
 * route sends, with the key.
 */
export class CarriedStreams {
  readonly #stream: SseStream;
  readonly #o: CarriedStreamsOptions;
  readonly #carried = new Set<string>();
  #ended = 0;

  constructor(stream: SseStream, options: CarriedStreamsOptions) {
    this.#stream = stream;
    this.#o = options;
  }

  /** Streams carried, ended or not. */
  get size(): number {
    return this.#carried.size;
  }

  /** Whether every stream carried was sent to its end. */
  get allEnded(): boolean {
    return this.#ended === this.#carried.size;
  }

  has(key: string): boolean {
    return this.#carried.has(key);
  }

  /** Carries `key` from its position in `positions` (its first chunk when it has none). */
  carry(key: string): void {
    if (this.#carried.has(key)) return;
    this.#carried.add(key);
    const { positions } = this.#o;
    let position = positions.get(key);
    if (!position) positions.set(key, (position = { resets: 0, after: 0 }));
    void this.#follow(key, position);
  }

  async #follow(key: string, position: StreamCursor): Promise<void> {
    const { runId, idOf, reads, signal } = this.#o;
    const stream = this.#stream;
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
          this.#ended += 1;
          this.#o.onEnd(end);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      this.#o.logger.warn("stream follower failed", { runId, key, error: (error as Error).message });
      this.#o.onFail();
    }
  }
}
