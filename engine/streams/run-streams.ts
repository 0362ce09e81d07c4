import { AsyncLocalStorage } from "node:async_hooks";
import { randomInt } from "node:crypto";
import { DurablyError } from "../../sdk/errors.ts";
import { checkStreamKey } from "../../sdk/stream-key.ts";
import { chunkText } from "./chunk-text.ts";
import type { StreamWriter } from "./stream-writer.ts";

/** A step attempt's appends: they stand or fall with the attempt. */
interface StepAppends {
  owner: RunStreams;
  seq: number;
  /** Random per attempt, so an attempt re-run after a crash never takes its predecessor's places. */
  token: number;
  n: number;
  /** Appends handed to the writer, and pipes still reading their source. */
  pending: Set<Promise<unknown>>;
  pipes: Set<Promise<unknown>>;
  ended: boolean;
}

const steps = new AsyncLocalStorage<StepAppends>();

/** Appends a pipe keeps in flight: enough to fill the writer's batches. */
const PIPE_WINDOW = 4096;

export interface RunStreamsOptions {
  runId: string;
  /** Without one (a replay-only check) appends store nothing. */
  writer: StreamWriter | undefined;
  maxChunkBytes: number;
  /** The seq of the run's last io call: where an append outside a step is. */
  place(): number;
  /** A previous execution of the run may have died inside a step (a retry or a crash recovery). */
  resumed: boolean;
  /** The seqs of the steps the journal holds as completed. */
  completedSteps(): number[];
}

/**
 * The stream appends of one execution of a run. Each append is stored at its place in the run:
 * outside a step, the seq of the io call it follows and its index among the appends there, so
 * a replay makes the same appends at the same places and the stored ones are skipped; inside an
 * `io.runTask` step, the step's seq, its attempt and its index in the attempt, and the chunks of
 * an attempt that fails are superseded (docs/streams.md).
 */
export class RunStreams {
  readonly #o: RunStreamsOptions;
  #outside = { seq: -1, n: 0 };
  readonly #pending = new Set<Promise<unknown>>();
  #swept: Promise<void> | undefined;

  constructor(options: RunStreamsOptions) {
    this.#o = options;
  }

  append(key: string, chunk: unknown): Promise<void> {
    const { runId, writer, maxChunkBytes } = this.#o;
    const data = chunkText(checkStreamKey(key), chunk, maxChunkBytes);
    const step = steps.getStore();
    let at: { stepSeq: number; attemptToken: number; n: number };
    if (step?.owner === this) {
      if (step.ended) throw new DurablyError("STEP_ENDED", `An append to stream "${key}" came after its step's attempt ended; it was not stored`);
      at = { stepSeq: step.seq, attemptToken: step.token, n: step.n++ };
    } else {
      const seq = this.#o.place();
      if (seq !== this.#outside.seq) this.#outside = { seq, n: 0 };
      at = { stepSeq: seq, attemptToken: 0, n: this.#outside.n++ };
    }
    if (!writer) return Promise.resolve();
    const write = writer.append({ runId, key, ...at, data });
    this.#track(write, step?.owner === this ? step.pending : undefined);
    return write;
  }

  /** Appends every value of `source`, several in flight; resolves once all are stored. */
  pipe(key: string, source: AsyncIterable<unknown> | Iterable<unknown>): Promise<void> {
    checkStreamKey(key);
    const step = steps.getStore();
    const piped = (async () => {
      let inFlight = 0;
      let room: PromiseWithResolvers<void> | undefined;
      let failure: { error: unknown } | undefined;
      const settled = () => {
        inFlight--;
        room?.resolve();
      };
      for await (const value of source) {
        if (failure) break;
        inFlight++;
        this.append(key, value).then(settled, (error: unknown) => {
          failure ??= { error };
          settled();
        });
        while (inFlight >= PIPE_WINDOW) {
          room = Promise.withResolvers<void>();
          await room.promise;
        }
      }
      while (inFlight > 0) {
        room = Promise.withResolvers<void>();
        await room.promise;
      }
      if (failure) throw failure.error;
    })();
    // A step's pipe is the step's to wait for; the run waits only for pipes its own code started.
    if (step?.owner === this) this.#track(piped, step.pipes, false);
    else this.#track(piped, undefined);
    return piped;
  }

  /**
   * Runs one attempt of a step (`attempt`, which calls the step's code) with its appends: they
   * are stored before the attempt counts as done, and superseded if it fails.
   */
  async inStep<T>(seq: number, attempt: () => Promise<T>): Promise<T> {
    const { writer, runId } = this.#o;
    if (!writer) return attempt();
    // Awaited only when there is one: most executions have nothing to sweep, and an await costs promises on every step.
    const swept = this.#sweep();
    if (swept) await swept;
    const step: StepAppends = { owner: this, seq, token: randomInt(1, 2 ** 47), n: 0, pending: new Set(), pipes: new Set(), ended: false };
    try {
      const value = await steps.run(step, attempt);
      // Chunks the step appended without awaiting are stored before it counts as done: a replay will not run it again.
      while (step.pending.size > 0 || step.pipes.size > 0) await Promise.allSettled([...step.pending, ...step.pipes]);
      return value;
    } catch (error) {
      step.ended = true;
      // Its appends are stored before they are superseded. Its pipes are not waited for: their
      // source may never yield again (a stalled stream is why steps time out), and whatever they
      // read next is refused.
      await Promise.allSettled(step.pending);
      if (step.n > 0) await writer.supersedeAttempt(runId, seq, step.token);
      throw error;
    } finally {
      step.ended = true;
    }
  }

  /**
   * Waits for every append and pipe of the execution, before its end is recorded: a reader of a
   * finished run has every chunk. A failed append is its caller's to see.
   */
  async settle(): Promise<void> {
    await this.#sweep()?.catch(() => undefined);
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /**
   * A previous execution may have died inside a step, leaving its attempt's chunks live: before
   * a step runs again (or the run ends), they are superseded. Steps the journal holds as
   * completed keep theirs, which their completing attempt appended. Undefined: nothing to sweep.
   */
  #sweep(): Promise<void> | undefined {
    const { writer, runId, resumed } = this.#o;
    if (!writer || !resumed) return undefined;
    const swept = (this.#swept ??= writer.supersedeUnfinishedSteps(runId, this.#o.completedSteps()));
    // A sweep that failed (the database unreachable) is tried again by the next step.
    swept.catch(() => this.#swept === swept && (this.#swept = undefined));
    return swept;
  }

  #track(write: Promise<unknown>, stepSet: Set<Promise<unknown>> | undefined, runWaits = true): void {
    if (runWaits) this.#pending.add(write);
    stepSet?.add(write);
    const done = () => {
      this.#pending.delete(write);
      stepSet?.delete(write);
    };
    // Handled here, so an append the code did not await cannot crash the process when it fails.
    write.then(done, done);
  }
}
