import type { Context } from "hono";
import type { TraceContext } from "../../sdk/tracing/trace-context.ts";

/** W3C Trace Context: version-traceid-parentid-flags, lowercase hex; ids all zero and version ff are invalid. */
const TRACEPARENT = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$/;
/** W3C's limit for a tracestate a receiver must propagate. */
const MAX_TRACESTATE = 512;

/**
 * The trace context a trigger request carries in its `traceparent` / `tracestate` headers (the
 * HTTP backend sends the caller's), stored with the run as a direct backend's trigger stores its
 * caller's, so the run's spans continue that trace. A malformed `traceparent` is ignored, as W3C
 * asks of a receiver, and so is a `tracestate` without one or too long.
 */
export function triggerTrace(c: Context): { traceContext: TraceContext } | Record<string, never> {
  const traceparent = c.req.header("traceparent")?.trim().toLowerCase();
  if (!traceparent || !TRACEPARENT.test(traceparent)) return {};
  const tracestate = c.req.header("tracestate")?.trim();
  return { traceContext: { traceparent, ...(tracestate && tracestate.length <= MAX_TRACESTATE ? { tracestate } : {}) } };
}
