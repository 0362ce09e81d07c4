import { AsyncLocalStorage } from "node:async_hooks";
import type { RetryOptions } from "./retry.ts";
import type { ChildRunResult, JournalKind, Json, Metadata, StatusState, WaitTokenOutcome } from "./types.ts";
import { OutsideRunError } from "./errors.ts";
import type { RunLogLevel } from "../wire/index.ts";

export interface StatusInput {
  label?: string | undefined;
  state?: StatusState | undefined;
  data?: Record<string, unknown> | undefined;
}

export interface StatusHandle {
  readonly key: string;
  /** Overrides the given fields; `key` names this update in the journal. */
  update(key: string, input: StatusInput): Promise<StatusHandle>;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The part of a `pg` client a transactional step needs (structural: the sdk imports no driver). */
export interface TransactionClient {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface TaskContext {
  /** 1 on the first try of this step, 2 on its first retry, … */
  attempt: number;
  /**
   * With `{ transaction: true }`: a client inside the transaction that also records this step in
   * the journal. Writes made through it commit exactly when the step does, so a step that only
   * writes to the engine's database runs exactly once.
   */
  tx?: TransactionClient;
  /**
   * Aborted when this attempt passes its `timeout` (the reason is a `TimeoutError`), the run its
   * `maxDuration`, or the run is canceled: pass it to fetch and the like, since the step's code
   * cannot be stopped otherwise.
   */
  signal: AbortSignal;
}

export interface RunTaskOptions {
  retry?: RetryOptions | undefined;
  /** Run the step inside the journal's transaction and hand it that transaction as `tx`. */
  transaction?: boolean | undefined;
  /**
   * Fail an attempt still running after this long (seconds, or a duration such as "30s") with a
   * `TimeoutError`, retried by the step's policy; the attempt's `signal` is aborted.
   */
  timeout?: number | string | undefined;
}

/** The durable operations available to a run; every call is journaled. */
export interface IO {
  runTask<T>(key: string, fn: (task: TaskContext) => Promise<T> | T, options?: RunTaskOptions): Promise<T>;
  createStatus(key: string, input: StatusInput & { label: string }): Promise<StatusHandle>;
  wait(key: string, seconds: number): Promise<void>;
  now(key?: string): Promise<Date>;
  random(key?: string): Promise<number>;
  /**
   * Temporal-style patching: true for runs that reach this point on new code (a `patch` marker is
   * journaled), false for a run replaying a journal recorded before the patch existed, so old
   * runs keep replaying the old path. Keep the call until no run recorded without it is left.
   */
  patched(changeId: string): Promise<boolean>;
  logger: Logger;
}

export interface RunContext {
  run: { id: string; tags: string[]; createdAt: Date; idempotencyKey: string | null };
  attempt: number;
  job: { id: string; version: string };
  task: { id: string; version: string };
  event: { id: string | null; name: string | null };
}

export type MetadataOp = "set" | "del" | "increment" | "append" | "remove";

/** Whose metadata `metadata.parent` / `metadata.root` change: the run's parent, or the root of its tree (itself when it has no parent). */
export type MetadataTarget = "parent" | "root";

/** What the engine provides to code running inside a run. */
export interface RunScope {
  io: IO;
  ctx: RunContext;
  metadata(): Metadata;
  writeMetadata(op: MetadataOp, key: string, value: Json | undefined): Promise<void>;
  /** Changes the parent's or root's metadata atomically, journaled in this run (a replay does not apply it again). */
  writeAncestorMetadata(target: MetadataTarget, op: MetadataOp, key: string, value: Json | undefined): Promise<void>;
  waitUntil(key: string, date: Date): Promise<void>;
  /** Runs `fn` once and journals its result; `seq` is the call's stable position in the run. */
  journaled<T>(kind: JournalKind, key: string, fn: (seq: number) => Promise<T>): Promise<T>;
  /** Suspends the run until every one of these child runs has finished, then journals their results. */
  awaitRuns(key: string, ids: string[]): Promise<ChildRunResult[]>;
  /** Stores a line in the run's logs, at the journal position the code has reached. */
  log(level: RunLogLevel, message: unknown, fields?: unknown): void;
  /** Suspends the run until the waitpoint token is completed or times out, then journals the outcome. */
  awaitToken(id: string): Promise<WaitTokenOutcome>;
  /** Appends a chunk to one of the run's streams, once for its place in the run (docs/streams.md). */
  appendStream(key: string, chunk: unknown): Promise<void>;
  /** Appends every value of `source`; resolves once all are stored. */
  pipeStream(key: string, source: AsyncIterable<unknown> | Iterable<unknown>): Promise<void>;
}

const scopes = new AsyncLocalStorage<RunScope>();

export function runInScope<T>(scope: RunScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

export function currentScope(): RunScope | undefined {
  return scopes.getStore();
}

export function requireScope(what: string): RunScope {
  const scope = scopes.getStore();
  if (!scope) throw new OutsideRunError(what);
  return scope;
}
