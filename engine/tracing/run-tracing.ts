import type { Context, Span, Tracer } from "@opentelemetry/api";
import { otelApi, type OtelApi } from "../../sdk/tracing/otel-api.ts";
import type { IoTracing } from "./io-tracing.ts";
import type { TraceContext } from "../../sdk/tracing/trace-context.ts";

const TRACER_NAME = "durably";


/** The run as the spans describe it. */
export interface TracedRun {
  id: string;
  task_id: string;
  task_version: string;
  attempts: number;
  trace_context: TraceContext | null;
}

/**
 * The spans of one run attempt (one execution): a span for the attempt, a child of the trace that
 * triggered the run, and a child of it per io call. Only made while a tracer provider is
 * registered: without one (or without `@opentelemetry/api`) `start` returns undefined, and
 * executions check that field and nothing else.
 */
export class RunTracing implements IoTracing {
  readonly #api: typeof OtelApi;
  readonly #tracer: Tracer;
  readonly #span: Span;
  readonly #context: Context;
  readonly #attributes: Record<string, string | number>;
  readonly #open = new Set<Span>();
  #ended = false;

  static start(run: TracedRun): RunTracing | undefined {
    const api = otelApi();
    if (!api) return undefined;
    const provider = api.trace.getTracerProvider();
    // The global provider is a proxy until one is registered: no delegate, no tracing, nothing allocated.
    const tracer = provider instanceof api.ProxyTracerProvider ? provider.getDelegateTracer(TRACER_NAME) : provider.getTracer(TRACER_NAME);
    return tracer ? new RunTracing(api, tracer, run) : undefined;
  }

  private constructor(api: typeof OtelApi, tracer: Tracer, run: TracedRun) {
    this.#api = api;
    this.#tracer = tracer;
    this.#attributes = { "durably.run.id": run.id, "durably.task.id": run.task_id, "durably.run.attempt": run.attempts };
    const caller = run.trace_context ? api.propagation.extract(api.ROOT_CONTEXT, run.trace_context) : api.ROOT_CONTEXT;
    this.#span = tracer.startSpan(`run ${run.task_id}`, {
      kind: api.SpanKind.CONSUMER,
      attributes: { ...this.#attributes, "durably.task.version": run.task_version },
    }, caller);
    this.#context = api.trace.setSpan(caller, this.#span);
  }

  /** Runs the run's code with the attempt's span active, so spans the code makes (and runs it triggers) are its children. */
  inRun<T>(code: () => T): T {
    return this.#api.context.with(this.#context, code);
  }

  io<T>(kind: string, key: string, call: () => Promise<T>, statusKey?: string): Promise<T> {
    const span = this.#tracer.startSpan(`${kind} ${key}`, {
      attributes: {
        ...this.#attributes, "durably.io.kind": kind, "durably.io.key": key,
        ...(statusKey === undefined ? {} : { "durably.status.key": statusKey }),
      },
    }, this.#context);
    this.#open.add(span);
    let result: Promise<T>;
    try {
      result = this.#api.context.with(this.#api.trace.setSpan(this.#context, span), call);
    } catch (error) {
      this.#endIo(span, error);
      throw error;
    }
    result.then(() => this.#endIo(span), (error: unknown) => this.#endIo(span, error));
    return result;
  }

  interrupted(why: { type: string }): void {
    for (const span of this.#open) {
      span.setAttribute("durably.io.outcome", why.type);
      this.#endIo(span, why.type === "crashed" ? new Error("database error during the io call") : undefined);
    }
  }

  stepFailed(error: unknown): void {
    // The step's own span is the active one where it failed (with a context manager registered).
    const span = this.#api.trace.getActiveSpan();
    if (span && this.#open.has(span)) markError(this.#api, span, error);
  }

  /** The attempt failed: the run failed, or is retried. */
  failed(error: unknown): void {
    markError(this.#api, this.#span, error);
  }

  /** Ends the attempt's span, saying how the attempt ended ("succeeded", "failed", "retrying", "suspended"...). */
  end(outcome: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.interrupted({ type: outcome });
    this.#span.setAttribute("durably.run.outcome", outcome);
    this.#span.end();
  }

  #endIo(span: Span, error?: unknown): void {
    if (!this.#open.delete(span)) return;
    if (error !== undefined) markError(this.#api, span, error);
    span.end();
  }
}

function markError(api: typeof OtelApi, span: Span, error: unknown): void {
  // A run's recorded failure is a serialized error: a name and message, not an Error.
  const exception = error instanceof Error ? error
    : typeof error === "object" && error !== null && "message" in error ? { name: String((error as { name?: unknown }).name ?? "Error"), message: String(error.message) }
    : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: exception.message });
}
