import { otelApi } from "./otel-api.ts";

/** W3C trace context headers (`traceparent`, `tracestate`) as the propagation API writes them. */
export type TraceContext = Record<string, string>;

/**
 * The trace context of the code calling `trigger`, for the run to continue that trace (in
 * whichever process executes it). Null without the API, without a span in the caller's
 * context, or without a registered propagator (which writes nothing).
 */
export function callerTraceContext(): TraceContext | null {
  const api = otelApi();
  if (!api) return null;
  const active = api.context.active();
  if (!api.trace.getSpanContext(active)) return null;
  const carrier: TraceContext = {};
  api.propagation.inject(active, carrier);
  return carrier.traceparent ? carrier : null;
}
