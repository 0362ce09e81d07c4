import { getBackend } from "./backend.ts";
import { requireScope } from "./context.ts";
import { DurablyError, StreamResetError } from "./errors.ts";
import { checkStreamKey } from "./stream-key.ts";
import { DEFAULT_STREAM_KEY, type StreamEvent } from "./types.ts";

/** What a stream can be fed from: an async iterable (an AI SDK's `textStream`), a web ReadableStream, or an array. */
export type StreamSource<T> = AsyncIterable<T> | Iterable<T> | ReadableStream<T>;

export interface StreamReadOptions {
  /** Start after this chunk index (default 0: from the first chunk). */
  after?: number | undefined;
  /** Ends the iteration. */
  signal?: AbortSignal | undefined;
  /**
   * Called when values already yielded were superseded (a step attempt that appended them
   * failed): keep the first `keep` values read, drop the rest; the live values after them follow.
   * Without it, the iteration throws `StreamResetError` instead.
   */
  onReset?: ((keep: number) => void) | undefined;
}

/** A web `ReadableStream` that is also an `AsyncIterable`, as Trigger.dev's `AsyncIterableStream`. */
export type AsyncIterableStream<T> = AsyncIterable<T> & ReadableStream<T>;

/** What `pipe` returns: Trigger.dev v4's `PipeStreamResult`. */
export interface PipeStreamResult<T> {
  /**
   * The values of the source as the pipe reads them, for the run's own code to use as well
   * (`const { stream } = streams.pipe(...)`). Take it at once: it holds every value from the first
   * until read, and is refused once the pipe has read a value without it.
   */
  readonly stream: AsyncIterableStream<T>;
  /** Resolves once every value of the source is stored; rejects with the first that could not be. */
  waitUntilComplete(): Promise<void>;
}

/** @deprecated `PipeStreamResult<T>`, Trigger.dev v4's name. */
export type PipeResult<T = unknown> = PipeStreamResult<T>;

/** A stream with a fixed key, typed by its chunks: `streams.define<T>({ id })`. */
export interface DefinedStream<T> {
  readonly id: string;
  /** Inside a run: stores one chunk, durable once the promise resolves. */
  append(chunk: T): Promise<void>;
  /** Inside a run: stores every value of `source` as a chunk, in order. */
  pipe(source: StreamSource<T>): PipeStreamResult<T>;
  /** The chunks of this stream of a run, as they are appended; ends when the run has finished and all were read. */
  read(runId: string, options?: StreamReadOptions): Promise<AsyncIterable<T>>;
}

/** Not async: the promise is the run's own, which it handles, so an append not awaited cannot crash the process. */
function appendTo(key: string, chunk: unknown): Promise<void> {
  try {
    return requireScope("streams.append").appendStream(checkStreamKey(key), chunk);
  } catch (error) {
    return Promise.reject(error);
  }
}

function pipeTo<T>(key: string, source: StreamSource<T>): PipeStreamResult<T> {
  const scope = requireScope("streams.pipe");
  const local = new LocalCopy<T>();
  const piped = scope.pipeStream(checkStreamKey(key), local.through(iterableOf(source)));
  // The run waits for the pipe before it ends and fails if it failed: not awaiting it is no error.
  piped.catch((error: unknown) => local.fail(error));
  return {
    get stream() {
      return local.take(key);
    },
    waitUntilComplete: () => piped,
  };
}

/**
 * The copy of a pipe's values that `stream` gives the run's code. Made only when asked for, so
 * a pipe nobody reads locally (most) holds nothing in memory.
 */
class LocalCopy<T> {
  #controller: ReadableStreamDefaultController<T> | undefined;
  #stream: AsyncIterableStream<T> | undefined;
  #read = false;
  #open = true;

  take(key: string): AsyncIterableStream<T> {
    if (this.#stream) return this.#stream;
    if (this.#read) {
      throw new DurablyError("PIPE_STREAM_TAKEN_LATE", `The pipe to stream "${key}" has read values already: take its \`stream\` as soon as pipe() returns`);
    }
    // Node's ReadableStream is async-iterable (Node ≥ 22 is required); TypeScript's DOM types lack it.
    const stream = new ReadableStream<T>({ start: (controller) => void (this.#controller = controller) }) as AsyncIterableStream<T>;
    return (this.#stream = stream);
  }

  async *through(source: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
    try {
      for await (const value of source) {
        this.#read = true;
        if (this.#open) this.#controller?.enqueue(value);
        yield value;
      }
      this.#end()?.close();
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  fail(error: unknown): void {
    this.#end()?.error(error);
  }

  #end(): ReadableStreamDefaultController<T> | undefined {
    if (!this.#open) return undefined;
    this.#open = false;
    return this.#controller;
  }
}

async function readFrom<T>(runId: string, key: string, options: StreamReadOptions = {}): Promise<AsyncIterable<T>> {
  checkStreamKey(key);
  const backend = await getBackend();
  const events = backend.followStream(runId, key, { after: options.after ?? 0, ...(options.signal ? { signal: options.signal } : {}) });
  return valuesOf<T>(events, runId, key, options);
}

async function* valuesOf<T>(events: AsyncIterable<StreamEvent>, runId: string, key: string, options: StreamReadOptions): AsyncGenerator<T> {
  // The index of each value yielded, to tell how many a reset takes back.
  const yielded: number[] = [];
  for await (const event of events) {
    if (event.type === "end") return;
    if (event.type === "chunk") {
      yielded.push(event.index);
      yield event.data as T;
      continue;
    }
    let keep = yielded.length;
    while (keep > 0 && yielded[keep - 1]! >= event.fromIndex) keep--;
    if (keep === yielded.length) continue;
    if (!options.onReset) throw new StreamResetError(runId, key, event.fromIndex);
    yielded.length = keep;
    options.onReset(keep);
  }
}

function iterableOf<T>(source: StreamSource<T>): AsyncIterable<T> | Iterable<T> {
  if (Symbol.asyncIterator in source || Symbol.iterator in source) return source as AsyncIterable<T> | Iterable<T>;
  const reader = (source as ReadableStream<T>).getReader();
  return (async function* () {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  })();
}

/**
 * Realtime streams (Trigger.dev v4's `streams`): a run appends chunks, stored in PostgreSQL and
 * pushed to readers as they commit. A replayed run does not append again what it appended, and
 * the chunks of a step attempt that failed are superseded (docs/streams.md).
 */
export const streams = {
  define<T>(options: { id: string }): DefinedStream<T> {
    const key = checkStreamKey(options.id);
    return {
      id: key,
      append: (chunk) => appendTo(key, chunk),
      pipe: (source) => pipeTo(key, source),
      read: (runId, readOptions) => readFrom<T>(runId, key, readOptions),
    };
  },
  /** `append(chunk)` to the run's default stream, or `append(key, chunk)`. */
  append(...args: [chunk: unknown] | [key: string, chunk: unknown]): Promise<void> {
    return args.length === 1 ? appendTo(DEFAULT_STREAM_KEY, args[0]) : appendTo(args[0], args[1]);
  },
  /** `pipe(source)` to the run's default stream, or `pipe(key, source)`. */
  pipe<T>(...args: [source: StreamSource<T>] | [key: string, source: StreamSource<T>]): PipeStreamResult<T> {
    return args.length === 1 ? pipeTo(DEFAULT_STREAM_KEY, args[0]) : pipeTo(args[0], args[1]);
  },
  /** `read(runId)` the default stream, or `read(runId, key, options)`. */
  read<T = unknown>(runId: string, key: string = DEFAULT_STREAM_KEY, options?: StreamReadOptions): Promise<AsyncIterable<T>> {
    return readFrom<T>(runId, key, options);
  },
};
