import type { IO, Logger, MetadataOp, MetadataTarget, RunContext, RunScope, RunTaskOptions, StatusHandle, StatusInput, TaskContext } from "../../sdk/context.ts";
import { DurablyError, isRetryable, NonDeterminismError, WaitpointNotFoundError } from "../../sdk/errors.ts";
import { DEFAULT_RETRY, resolveRetry, retryDelayMs, type ResolvedRetry } from "../../sdk/retry.ts";
import type { ChildRunResult, JournalKind, Json, Metadata, StatusState } from "../../sdk/types.ts";
import type { WaitTokenOutcome } from "../../sdk/waitpoints.ts";
import { checkMetadata, decode, encode, serializeError } from "../serialize.ts";
import { userCallSite } from "./call-site.ts";
import { applyMetadataOp } from "./metadata-ops.ts";
import type { RecordedCall } from "./recorded-call.ts";
import type { EntryWrite, JournalWriter } from "./recorder.ts";
import { RunLog, type LogSink } from "./run-log.ts";
import { attemptStep, fencedTransaction, stepTimeoutMs } from "./step-attempt.ts";
import type { RunLogLevel } from "../../wire/index.ts";
import { RunStreams } from "../streams/run-streams.ts";
import type { StreamWriter } from "../streams/stream-writer.ts";
import type { IoTracing } from "../tracing/io-tracing.ts";

/** Why an execution stopped before the run's code returned. */
export type Interruption =
  | { type: "suspended" }
  | { type: "abandoned"; reason: "canceled" | "lease-lost" }
  /** The database failed under a commit: the run's code must not see it, the job is retried. */
  | { type: "crashed"; error: Error }
  /** A replay-only execution (`durably check`) reached a call the journal cannot answer. */
  | { type: "end-of-journal"; seq: number }
  /** The engine is shutting down: the step in flight finished, the run goes back before the next one. */
  | { type: "draining" };

/** Journal kinds that mark something that happened to the run rather than a call its code made. */
export const MARKER_KINDS: ReadonlySet<string> = new Set(["cancel", "hook"]);

interface StatusValue {
  key: string;
  label: string;
  state: StatusState | null;
  data: Record<string, unknown> | undefined;
}

export interface ExecutionOptions {
  recorder: JournalWriter;
  /** Answer io calls from the journal only and stop at the first one it cannot answer (no side effects). */
  replayOnly?: boolean;
  /**
   * With `replayOnly`: the run returned after the journal's last call (it succeeded), so a call
   * past the end diverges, and `io.patched` there is false, the path the run took.
   */
  journalComplete?: boolean;
  journal: RecordedCall[];
  ctx: RunContext;
  metadata: Metadata;
  maxMetadataBytes: number;
  maxPayloadBytes: number;
  /** A step's retry policy where it names none: its task's `retry`, so `maxAttempts: 1` means no retries at all. */
  stepRetry?: ResolvedRetry;
  /** Where `io.logger` goes when the run's lines are not stored (no `logs`). */
  logger: Logger;
  /** Stores the lines the run's code logs; a replay-only execution stores none. */
  logs?: LogSink | undefined;
  /** Called when a wait suspends the run, so this process can wake it on time. */
  onWaitScheduled(wakeAt: Date): void;
  /** Where stream appends are stored; without it (a replay-only check) they store nothing. */
  streams?: { writer: StreamWriter; maxChunkBytes: number };
  /** Hears how long each attempt of a step's code took, in seconds. */
  observeStep?: (seconds: number, outcome: "completed" | "failed") => void;
  /** Spans for the io calls this execution runs; absent (the usual case) when no tracer is registered. */
  tracing?: IoTracing | undefined;
}

/** Errors from a step that used up its retries: they fail the run without a run-level retry. */
export const exhaustedStepErrors = new WeakSet<object>();

/**
 * One execution of a run's code: numbers every io call, answers recorded calls from the
 * journal, and commits new ones. Suspending or losing the run leaves the code awaiting a
 * promise that never settles; `interrupted` tells the worker to let go.
 */
export class Execution implements RunScope {
  readonly ctx: RunContext;
  readonly io: IO;
  readonly interrupted: Promise<Interruption>;
  #interrupt!: (why: Interruption) => void;
  #stopped = false;
  #draining = false;
  #canceled = false;
  #seq = 0;
  #divergence: NonDeterminismError | undefined;
  #metadata: Metadata;
  #metadataWrites: Promise<unknown> = Promise.resolve();
  readonly #statuses = new Map<string, StatusValue>();
  /** The signals of the step attempts in flight. */
  readonly #steps = new Set<AbortController>();
  readonly #journal = new Map<number, RecordedCall>();
  readonly #options: ExecutionOptions;
  readonly #log: RunLog;
  readonly #streams: RunStreams;
  readonly #tracing: IoTracing | undefined;

  constructor(options: ExecutionOptions) {
    this.#options = options;
    this.#tracing = options.tracing;
    this.ctx = options.ctx;
    this.#metadata = options.metadata;
    for (const call of options.journal) this.#journal.set(call.seq, call);
    this.interrupted = new Promise((resolve) => (this.#interrupt = resolve));
    this.#log = new RunLog(options.ctx.run.id, options.replayOnly ? undefined : options.logs, () => this.#seq);
    const runLogger: Logger = {
      debug: (message, fields) => this.log("debug", message, fields),
      info: (message, fields) => this.log("info", message, fields),
      warn: (message, fields) => this.log("warn", message, fields),
      error: (message, fields) => this.log("error", message, fields),
    };
    this.#streams = new RunStreams({
      runId: options.ctx.run.id,
      writer: options.replayOnly ? undefined : options.streams?.writer,
      maxChunkBytes: options.streams?.maxChunkBytes ?? Number.MAX_SAFE_INTEGER,
      place: () => this.#seq,
      // A retry or the recovery of a crashed worker counts an attempt; a wake-up after a wait does not.
      resumed: options.ctx.attempt > 1,
      completedSteps: () => [...this.#journal.values()].filter((c) => c.kind === "task" && c.status === "completed").map((c) => c.seq),
    });
    this.io = {
      runTask: (key, fn, opts) =>
        this.#tracing === undefined ? this.#runTask(key, fn, opts) : this.#traced("task", key, () => this.#runTask(key, fn, opts)),
      createStatus: (key, input) => this.#writeStatus(key, key, input),
      wait: (key, seconds) => this.waitUntil(key, new Date(Date.now() + seconds * 1000)),
      now: (key = "now") => this.journaled("now", key, async () => new Date()),
      random: (key = "random") => this.journaled("random", key, async () => Math.random()),
      patched: (changeId) => this.#patched(changeId),
      logger: options.logs ? runLogger : options.logger,
    };
  }

  get divergence(): NonDeterminismError | undefined {
    return this.#divergence;
  }

  log(level: RunLogLevel, message: unknown, fields?: unknown): void {
    this.#log.write(level, message, fields);
  }

  /** Resolves once the lines logged so far are stored. */
  logsStored(): Promise<void> {
    return this.#log.flushed();
  }

  /** Shutdown: the step in flight may finish, but no new step starts; the run is handed back instead. */
  drain(): void {
    this.#draining = true;
  }

  /**
   * The run was canceled: no further step starts, the steps in flight are told through their
   * signal, and a write in flight is refused by the lease.
   */
  cancel(): void {
    this.abort(new DurablyError("CANCELED", `Run ${this.ctx.run.id} was canceled`));
  }

  /** The run ended (canceled, or out of time): no further step starts, and the steps in flight are told through their signal. */
  abort(reason: Error): void {
    this.#canceled = true;
    for (const step of this.#steps) step.abort(reason);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** A journal that still holds calls the code did not make also diverges. */
  checkFullyReplayed(): void {
    const unreplayed = [...this.#journal.values()]
      .filter((call) => call.seq > this.#seq && !MARKER_KINDS.has(call.kind))
      .map((call) => call.seq)
      .sort((a, b) => a - b)[0];
    if (unreplayed === undefined || this.#divergence) return;
    const expected = this.#journal.get(unreplayed)!;
    this.#divergence = new NonDeterminismError({
      runId: this.ctx.run.id,
      seq: unreplayed,
      expected: { kind: expected.kind, key: expected.key },
      actual: null,
    });
  }

  metadata(): Metadata {
    return this.#metadata;
  }

  // Not async: the promise returned is the one the streams track (and handle), so an append the
  // code does not await cannot end the process as an unhandled rejection.
  appendStream(key: string, chunk: unknown): Promise<void> {
    try {
      return this.#streams.append(key, chunk);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  pipeStream(key: string, source: AsyncIterable<unknown> | Iterable<unknown>): Promise<void> {
    try {
      return this.#streams.pipe(key, source);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Waits for the run's stream appends before its end is recorded. */
  settleStreams(): Promise<void> {
    return this.#streams.settle();
  }

  writeMetadata(op: MetadataOp, key: string, value: Json | undefined): Promise<void> {
    if (this.#tracing === undefined) return this.#writeMetadata(op, key, value);
    return this.#traced("metadata", `${op}:${key}`, () => this.#writeMetadata(op, key, value));
  }

  #writeMetadata(op: MetadataOp, key: string, value: Json | undefined): Promise<void> {
    const { seq, recorded } = this.#next("metadata", `${op}:${key}`);
    if (this.#cannotAnswer(recorded)) return this.#endOfJournal(seq);
    if (recorded) {
      this.#metadata = decode<Metadata>(recorded.output) ?? {};
      return Promise.resolve();
    }
    const next = checkMetadata(applyMetadataOp(this.#metadata, op, key, value), this.#options.maxMetadataBytes);
    this.#metadata = next;
    const startedAt = new Date();
    // The row applies the operation to its metadata as it is (a child may have changed it): a set of undefined is a delete.
    const rowOp = op === "set" && value === undefined ? "del" : op;
    // Chained so that the runs row always ends with the latest metadata, whatever the commit order.
    return this.#chainMetadataWrite(() =>
      this.#commit(
        { seq, kind: "metadata", key: `${op}:${key}`, status: "completed", attempts: 1, startedAt },
        { metadata: { op: rowOp, key, value } },
      ),
    );
  }

  writeAncestorMetadata(target: MetadataTarget, op: MetadataOp, key: string, value: Json | undefined): Promise<void> {
    if (this.#tracing === undefined) return this.#writeAncestorMetadata(target, op, key, value);
    return this.#traced("ancestorMetadata", `${target}.${op}:${key}`, () => this.#writeAncestorMetadata(target, op, key, value));
  }

  #writeAncestorMetadata(target: MetadataTarget, op: MetadataOp, key: string, value: Json | undefined): Promise<void> {
    const journalKey = `${target}.${op}:${key}`;
    const { seq, recorded } = this.#next("ancestorMetadata", journalKey);
    if (this.#cannotAnswer(recorded)) return this.#endOfJournal(seq);
    if (recorded) {
      this.#adoptOwnChange(decode<{ runId: string | null; metadata?: Metadata }>(recorded.output));
      return Promise.resolve();
    }
    checkMetadata({ [key]: value ?? null }, this.#options.maxMetadataBytes);
    const entry: EntryWrite = { seq, kind: "ancestorMetadata", key: journalKey, status: "completed", attempts: 1, startedAt: new Date() };
    const change = { target, op, key, value, maxMetadataBytes: this.#options.maxMetadataBytes };
    return this.#chainMetadataWrite(async () => {
      if (this.#stopped) return this.#never();
      let written: Awaited<ReturnType<JournalWriter["writeAncestorMetadata"]>>;
      try {
        written = await this.#options.recorder.writeAncestorMetadata(entry, change, (result) =>
          encode(result.runId === this.ctx.run.id ? result : { runId: result.runId }, "metadata change"));
      } catch (error) {
        // The change itself was refused (an increment of text, metadata over its limit): the code sees why.
        if (error instanceof DurablyError) throw error;
        return this.#stop({ type: "crashed", error: error as Error });
      }
      if (!written.written) return this.#lost();
      this.#adoptOwnChange(written.result);
    });
  }

  /** `metadata.root` in a run without a parent changed the run itself: its own view follows. */
  #adoptOwnChange(result: { runId: string | null; metadata?: Metadata } | undefined): void {
    if (result?.runId === this.ctx.run.id && result.metadata) this.#metadata = result.metadata;
  }

  /** Metadata writes commit in the order they were made, so the row ends with the last; awaited before the run ends. */
  #chainMetadataWrite(write: () => Promise<void>): Promise<void> {
    const chained = this.#metadataWrites.then(write);
    this.#metadataWrites = chained.catch(() => undefined);
    return chained;
  }

  /** Resolves once every metadata write made so far has committed (or failed): a run ends after its unawaited writes. */
  metadataWritten(): Promise<unknown> {
    return this.#metadataWrites;
  }

  waitUntil(key: string, date: Date): Promise<void> {
    if (this.#tracing === undefined) return this.#waitUntil(key, date);
    return this.#traced("wait", key, () => this.#waitUntil(key, date));
  }

  async #waitUntil(key: string, date: Date): Promise<void> {
    const { seq, recorded } = this.#next("wait", key);
    if (this.#cannotAnswer(recorded)) return this.#endOfJournal(seq);
    if (recorded) {
      const wakeAt = decode<Date>(recorded.output)!;
      if (Date.now() >= wakeAt.getTime() || this.#options.replayOnly) return;
      // Woken early (another wake-up, a redelivered job): wait again for the job already scheduled.
      if (!(await this.#guard(this.#options.recorder.suspend()))) return this.#lost();
      this.#options.onWaitScheduled(wakeAt);
      return this.#stop({ type: "suspended" });
    }
    const entry: EntryWrite = { seq, kind: "wait", key, status: "completed", output: encode(date, "wait"), attempts: 1, startedAt: new Date() };
    if (Date.now() >= date.getTime()) return this.#commit(entry);
    const handedOff = await this.#guard(this.#options.recorder.writeAndHandOff(entry, "WAITING", { reason: "wake", startAfter: date }));
    if (!handedOff) return this.#lost();
    this.#options.onWaitScheduled(date);
    return this.#stop({ type: "suspended" });
  }

  /** An attempt of a step's code, timed for `observeStep`. */
  async #timed<T>(attempt: () => Promise<T>): Promise<T> {
    const observe = this.#options.observeStep;
    if (!observe) return attempt();
    const start = performance.now();
    try {
      const value = await attempt();
      observe((performance.now() - start) / 1000, "completed");
      return value;
    } catch (error) {
      observe((performance.now() - start) / 1000, "failed");
      throw error;
    }
  }

  async #runTask<T>(key: string, fn: (task: TaskContext) => Promise<T> | T, options: RunTaskOptions | undefined): Promise<T> {
    const { seq, recorded } = this.#next("task", key);
    if (recorded?.status === "completed") return decode<T>(recorded.output) as T;
    if (this.#options.replayOnly) return this.#endOfJournal(seq);
    if (this.#canceled) return this.#stop({ type: "abandoned", reason: "canceled" });
    if (this.#draining) return this.#stop({ type: "draining" });
    const attempt = (recorded?.attempts ?? 0) + 1;
    const timeoutMs = stepTimeoutMs(options?.timeout);
    const startedAt = new Date();
    const controller = new AbortController();
    if (options?.transaction) return this.#runTaskInTransaction(seq, key, attempt, startedAt, fn, options, controller, timeoutMs);
    let value: T;
    this.#steps.add(controller);
    // Timed here rather than through #timed: an io call's promises are much of what it costs.
    const observe = this.#options.observeStep;
    const start = observe ? performance.now() : 0;
    try {
      value = await this.#streams.inStep(seq, () =>
        attemptStep(key, controller, timeoutMs, (signal) => this.#log.inStep(seq, attempt, () => fn({ attempt, signal }))),
      );
      observe?.((performance.now() - start) / 1000, "completed");
    } catch (error) {
      observe?.((performance.now() - start) / 1000, "failed");
      this.#tracing?.stepFailed(error);
      return this.#taskFailed(seq, key, attempt, startedAt, error, options);
    } finally {
      this.#steps.delete(controller);
    }
    // The run ran out of time (or was canceled) while the step ran: it has ended without this step.
    if (this.#canceled) return this.#stop({ type: "abandoned", reason: "canceled" });
    // Both paths hand back the decoded copy, so the first execution behaves as every replay will.
    const output = encode(value, `output of task "${key}"`, this.#options.maxPayloadBytes);
    await this.#commit({ seq, kind: "task", key, status: "completed", output, attempts: attempt, startedAt, timeoutMs });
    return decode<T>(output) as T;
  }

  /**
   * `fn` gets the journal's transaction as `tx`: its writes and the step's entry commit together,
   * so a step that only writes to this database is exactly-once. `fn` throwing rolls its writes
   * back and takes the usual retry path; a database failure under the commit crashes the execution.
   */
  async #runTaskInTransaction<T>(
    seq: number, key: string, attempt: number, startedAt: Date,
    fn: (task: TaskContext) => Promise<T> | T, options: RunTaskOptions, controller: AbortController, timeoutMs: number | undefined,
  ): Promise<T> {
    if (this.#stopped) return this.#never();
    this.#steps.add(controller);
    let failure: { error: unknown; fromStep: boolean } | undefined;
    let committed: Awaited<ReturnType<JournalWriter["writeInTransaction"]>>;
    try {
      committed = await this.#options.recorder.writeInTransaction(async (tx) => {
        let value: T;
        try {
          value = await this.#timed(() => this.#streams.inStep(seq, () =>
            attemptStep(key, controller, timeoutMs, (signal) =>
              this.#log.inStep(seq, attempt, () => fn({ attempt, tx: fencedTransaction(tx, signal), signal })),
            ),
          ));
        } catch (error) {
          failure = { error, fromStep: true };
          throw error;
        }
        if (this.#canceled) throw new Error("the run ended while this step ran");
        try {
          const output = encode(value, `output of task "${key}"`, this.#options.maxPayloadBytes);
          return { entry: { seq, kind: "task", key, status: "completed", output, attempts: attempt, startedAt, timeoutMs }, value: output };
        } catch (error) {
          failure = { error, fromStep: false };
          throw error;
        }
      });
    } catch (error) {
      this.#steps.delete(controller);
      if (this.#canceled) return this.#stop({ type: "abandoned", reason: "canceled" });
      if (failure?.fromStep) this.#tracing?.stepFailed(failure.error);
      if (failure?.fromStep) return this.#taskFailed(seq, key, attempt, startedAt, failure.error, options);
      if (failure) throw failure.error;
      return this.#stop({ type: "crashed", error: error as Error });
    }
    this.#steps.delete(controller);
    if (!committed.written) return this.#lost();
    return decode<T>(committed.value) as T;
  }

  /** A step threw: schedule its retry after the backoff, or record the failure once attempts run out. */
  async #taskFailed(seq: number, key: string, attempt: number, startedAt: Date, error: unknown, options: RunTaskOptions | undefined): Promise<never> {
    if (this.#stopped) return this.#never();
    // Canceled, or out of time: a step its signal made throw has not failed, the run has ended.
    if (this.#canceled) return this.#stop({ type: "abandoned", reason: "canceled" });
    const policy = resolveRetry(options?.retry, this.#options.stepRetry ?? DEFAULT_RETRY);
    const failed: EntryWrite = {
      seq, kind: "task", key, status: "failed", error: serializeError(error), attempts: attempt, startedAt, timeoutMs: stepTimeoutMs(options?.timeout),
    };
    const attemptThisRound = attempt - (this.#journal.get(seq)?.attemptsBeforeRetry ?? 0);
    if (attemptThisRound < policy.maxAttempts && isRetryable(error)) {
      const startAfter = new Date(Date.now() + retryDelayMs(policy, attemptThisRound));
      const handedOff = await this.#guard(this.#options.recorder.writeAndHandOff(failed, "QUEUED", { reason: "retry", startAfter }));
      if (!handedOff) return this.#lost();
      this.#options.onWaitScheduled(startAfter);
      return this.#stop({ type: "suspended" });
    }
    await this.#commit(failed);
    if (typeof error === "object" && error !== null) exhaustedStepErrors.add(error);
    throw error;
  }

  #writeStatus(ioKey: string, statusKey: string, input: StatusInput): Promise<StatusHandle> {
    if (this.#tracing === undefined) return this.#writeStatusEntry(ioKey, statusKey, input);
    return this.#traced("status", ioKey, () => this.#writeStatusEntry(ioKey, statusKey, input), statusKey);
  }

  async #writeStatusEntry(ioKey: string, statusKey: string, input: StatusInput): Promise<StatusHandle> {
    const { seq, recorded } = this.#next("status", ioKey);
    if (this.#cannotAnswer(recorded)) return this.#endOfJournal(seq);
    let value: StatusValue;
    if (recorded) {
      value = decode<StatusValue>(recorded.output)!;
    } else {
      const before = this.#statuses.get(statusKey);
      value = {
        key: statusKey,
        label: input.label ?? before?.label ?? statusKey,
        state: input.state ?? before?.state ?? null,
        data: input.data !== undefined ? input.data : before?.data,
      };
      if (value.data !== undefined) checkMetadata(value.data, this.#options.maxPayloadBytes);
      await this.#commit({ seq, kind: "status", key: ioKey, status: "completed", output: encode(value, "status"), attempts: 1, startedAt: new Date() });
    }
    this.#statuses.set(statusKey, value);
    return { key: statusKey, update: (key, update) => this.#writeStatus(key, statusKey, update) };
  }

  journaled<T>(kind: JournalKind, key: string, fn: (seq: number) => Promise<T>): Promise<T> {
    if (this.#tracing === undefined) return this.#journaled(kind, key, fn);
    return this.#traced(kind, key, () => this.#journaled(kind, key, fn));
  }

  async #journaled<T>(kind: JournalKind, key: string, fn: (seq: number) => Promise<T>): Promise<T> {
    const { seq, recorded } = this.#next(kind, key);
    if (recorded?.status === "completed") return decode<T>(recorded.output) as T;
    if (this.#options.replayOnly) return this.#endOfJournal(seq);
    if (this.#canceled) return this.#stop({ type: "abandoned", reason: "canceled" });
    const startedAt = new Date();
    const output = encode(await fn(seq), kind);
    await this.#commit({ seq, kind, key, status: "completed", output, attempts: 1, startedAt });
    return decode<T>(output) as T;
  }

  awaitRuns(key: string, ids: string[]): Promise<ChildRunResult[]> {
    if (this.#tracing === undefined) return this.#awaitRuns(key, ids);
    return this.#traced("waitRuns", key, () => this.#awaitRuns(key, ids));
  }

  async #awaitRuns(key: string, ids: string[]): Promise<ChildRunResult[]> {
    const { seq, recorded } = this.#next("waitRuns", key);
    if (recorded?.status === "completed") return decode<ChildRunResult[]>(recorded.output)!;
    if (this.#options.replayOnly) return this.#endOfJournal(seq);
    if (this.#stopped) return this.#never();
    let outcome: Awaited<ReturnType<JournalWriter["awaitRuns"]>>;
    try {
      outcome = await this.#options.recorder.awaitRuns({ seq, kind: "waitRuns", key, startedAt: new Date() }, ids);
    } catch (error) {
      return this.#stop({ type: "crashed", error: error as Error });
    }
    if (outcome === "lost") return this.#lost();
    // The last child to finish sends the wake-up job (see wake-parent.ts), so none is scheduled here.
    if (outcome === "suspended") return this.#stop({ type: "suspended" });
    return outcome;
  }

  awaitToken(id: string): Promise<WaitTokenOutcome> {
    if (this.#tracing === undefined) return this.#awaitToken(id);
    return this.#traced("waitpoint", `forToken:${id}`, () => this.#awaitToken(id));
  }

  async #awaitToken(id: string): Promise<WaitTokenOutcome> {
    const { seq, recorded } = this.#next("waitpoint", `forToken:${id}`);
    if (recorded?.status === "completed") return decode<WaitTokenOutcome>(recorded.output)!;
    if (this.#options.replayOnly) return this.#endOfJournal(seq);
    if (this.#stopped) return this.#never();
    if (this.#canceled) return this.#stop({ type: "abandoned", reason: "canceled" });
    let waited: Awaited<ReturnType<JournalWriter["awaitToken"]>>;
    try {
      waited = await this.#options.recorder.awaitToken({ seq, kind: "waitpoint", key: `forToken:${id}`, startedAt: new Date() }, id);
    } catch (error) {
      return this.#stop({ type: "crashed", error: error as Error });
    }
    if (waited.type === "lost") return this.#lost();
    if (waited.type === "not-found") throw new WaitpointNotFoundError(id);
    if (waited.type === "suspended") {
      // A completion wakes the run through its own job; the timeout through the one just scheduled.
      if (waited.timeoutAt) this.#options.onWaitScheduled(waited.timeoutAt);
      return this.#stop({ type: "suspended" });
    }
    // The decoded copy, so the first execution behaves as every replay will.
    return decode<WaitTokenOutcome>(waited.output)!;
  }

  /**
   * Calls a lifecycle hook unless the journal shows it called, then records it with a `hook`
   * marker past every seq taken (markers take no seq a call of the code would). `onStart` is only
   * called before the run's first call: a run under way when the hook was deployed does not start again.
   * Inside the run's code a lost write stops the execution as any call's would; after it (the run's
   * code has returned or thrown) the answer is false and a database error is thrown, for the worker to handle.
   */
  async runHook(name: string, call: () => Promise<void>, where: "in-code" | "after-code"): Promise<boolean> {
    if (this.#options.replayOnly) return true;
    let last = this.#seq;
    for (const recorded of this.#journal.values()) {
      if (recorded.kind === "hook" && recorded.key === name) return true;
      if (name === "onStart" && !MARKER_KINDS.has(recorded.kind)) return true;
      last = Math.max(last, recorded.seq);
    }
    const startedAt = new Date();
    await call();
    const seq = this.#nextFreeSeq(last);
    const entry: EntryWrite = { seq, kind: "hook", key: name, status: "completed", attempts: 1, startedAt };
    if (where === "in-code") await this.#commit(entry);
    else if (!(await this.#options.recorder.write(entry))) return false;
    this.#journal.set(seq, { seq, kind: "hook", key: name, status: "completed", output: null, error: null, attempts: 1, attemptsBeforeRetry: 0 });
    return true;
  }

  async #patched(changeId: string): Promise<boolean> {
    if (this.#divergence) throw this.#divergence;
    const seq = this.#nextFreeSeq(this.#seq);
    const recorded = this.#journal.get(seq);
    if (recorded) {
      // A journal recorded before the patch has another call here: replay the old path without
      // taking a seq, so the calls after it line up with the journal exactly as before.
      if (recorded.kind !== "patch" || recorded.key !== changeId) return false;
      this.#seq = seq;
      return true;
    }
    if (this.#options.journalComplete) return false;
    if (this.#options.replayOnly) return this.#endOfJournal(seq);
    this.#seq = seq;
    await this.#commit({ seq, kind: "patch", key: changeId, status: "completed", attempts: 1, startedAt: new Date() });
    return true;
  }

  /** The next seq after `seq` that is not taken by a marker (a cancel recorded mid-run). */
  #nextFreeSeq(seq: number): number {
    let next = seq + 1;
    while (MARKER_KINDS.has(this.#journal.get(next)?.kind ?? "")) next++;
    return next;
  }

  /**
   * An io call under a span, unless the journal answers it: a replay does not trace the calls it
   * only reads back, so each call's span belongs to the attempt that ran it.
   */
  #traced<T>(kind: string, key: string, call: () => Promise<T>, statusKey?: string): Promise<T> {
    const recorded = this.#journal.get(this.#nextFreeSeq(this.#seq));
    if (recorded?.status === "completed" && recorded.kind === kind && recorded.key === key) return call();
    return this.#tracing!.io(kind, key, call, statusKey);
  }

  #cannotAnswer(recorded: RecordedCall | undefined): boolean {
    return this.#options.replayOnly === true && recorded?.status !== "completed";
  }

  #endOfJournal(seq: number): Promise<never> {
    return this.#stop({ type: "end-of-journal", seq });
  }

  #next(kind: string, key: string): { seq: number; recorded: RecordedCall | undefined } {
    if (this.#divergence) throw this.#divergence;
    const seq = (this.#seq = this.#nextFreeSeq(this.#seq));
    const recorded = this.#journal.get(seq);
    if (recorded ? recorded.kind !== kind || recorded.key !== key : this.#options.journalComplete) {
      this.#divergence = new NonDeterminismError({
        runId: this.ctx.run.id,
        seq,
        expected: recorded ? { kind: recorded.kind, key: recorded.key } : null,
        actual: { kind, key },
        callSite: userCallSite(new Error().stack),
      });
      throw this.#divergence;
    }
    return { seq, recorded };
  }

  /** #guard written out: every io call commits here, and each async function it goes through costs promises. */
  async #commit(entry: EntryWrite, extra?: Parameters<JournalWriter["write"]>[1]): Promise<void> {
    if (this.#stopped) return this.#never();
    let landed: boolean;
    try {
      landed = await this.#options.recorder.write(entry, extra);
    } catch (error) {
      return this.#stop({ type: "crashed", error: error as Error });
    }
    if (!landed) return this.#lost();
  }

  async #guard(write: Promise<boolean>): Promise<boolean> {
    try {
      return await write;
    } catch (error) {
      return this.#stop({ type: "crashed", error: error as Error });
    }
  }

  async #lost(): Promise<never> {
    const status = await this.#options.recorder.state().catch(() => undefined);
    return this.#stop({ type: "abandoned", reason: status === "CANCELED" ? "canceled" : "lease-lost" });
  }

  #stop(why: Interruption): Promise<never> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#tracing?.interrupted(why);
      this.#interrupt(why);
    }
    return this.#never();
  }

  #never(): Promise<never> {
    return new Promise<never>(() => undefined);
  }
}
