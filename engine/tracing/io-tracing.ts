// Apart from run-tracing.ts so that the execution's types never name @opentelemetry/api, which may be absent.
/** What an execution needs to trace the io calls it runs (not those it answers from the journal). */
export interface IoTracing {
  /** Runs `call` under a span for the io call; the span ends when the call settles or the execution stops. */
  io<T>(kind: string, key: string, call: () => Promise<T>, statusKey?: string): Promise<T>;
  /** The execution stopped (suspended, lost, crashed, draining): io calls still open end with it. */
  interrupted(why: { type: string }): void;
  /** A step attempt threw; its span ends when the execution stops for the retry. */
  stepFailed(error: unknown): void;
}
