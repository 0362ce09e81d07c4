import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { configure, runs, task } from "durably";
import { disconnect } from "../sdk/backend.ts";
import { TEST_DATABASE_URL } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const fast = { minTimeoutInMs: 20, maxTimeoutInMs: 50, factor: 1, randomize: false };

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

const spansOf = (runId: string) => exporter.getFinishedSpans().filter((span) => span.attributes["durably.run.id"] === runId);
const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("OpenTelemetry", () => {
  it("a run continues its caller's trace: a span for the attempt, a child span per io call", async () => {
    const traced = task({
      id: "traced",
      run: async (_: unknown, { io }) => {
        const fetched = await io.runTask("fetch", async () => 41);
        const progress = await io.createStatus("progress", { label: "Saving" });
        const saved = await io.runTask("save", async () => fetched + 1);
        await progress.update("progress-done", { state: "success" });
        return saved;
      },
    });
    await startTestEngine("otel_trace", { tasks: [traced] });
    const caller = trace.getTracer("test").startSpan("caller");
    const { id } = await context.with(trace.setSpan(context.active(), caller), () => traced.trigger({}));
    caller.end();
    expect((await runs.poll(id, { timeoutMs: 20_000 })).output).toBe(42);

    const spans = await until(async () => {
      const found = spansOf(id);
      return found.length === 5 ? found : undefined;
    }, 10_000);
    const traceId = caller.spanContext().traceId;
    expect(spans.every((span) => span.spanContext().traceId === traceId)).toBe(true);

    const [run] = named(spans, "run traced");
    expect(parentOf(run!)).toBe(caller.spanContext().spanId);
    expect(run!.attributes).toMatchObject({ "durably.run.id": id, "durably.task.id": "traced", "durably.run.attempt": 1, "durably.run.outcome": "succeeded" });
    expect(run!.status.code).not.toBe(SpanStatusCode.ERROR);

    const io = spans.filter((span) => span !== run);
    expect(io.map((span) => span.name).sort()).toEqual(["status progress", "status progress-done", "task fetch", "task save"]);
    for (const span of io) {
      expect(parentOf(span)).toBe(run!.spanContext().spanId);
      expect(span.attributes).toMatchObject({ "durably.run.id": id, "durably.task.id": "traced", "durably.run.attempt": 1 });
    }
    expect(named(io, "task fetch")[0]!.attributes).toMatchObject({ "durably.io.kind": "task", "durably.io.key": "fetch" });
    expect(named(io, "status progress-done")[0]!.attributes).toMatchObject({
      "durably.io.kind": "status", "durably.io.key": "progress-done", "durably.status.key": "progress",
    });
  });

  it("a retried run's replay makes no span for the io calls the journal answers", async () => {
    const flaky = task({
      id: "flaky-traced",
      run: async (_: unknown, { io }) => {
        await io.runTask("first", async () => "ok");
        return io.runTask("second", async ({ attempt }) => {
          if (attempt === 1) throw new Error("not yet");
          return "done";
        }, { retry: { ...fast, maxAttempts: 2 } });
      },
    });
    await startTestEngine("otel_replay", { tasks: [flaky] });
    const { id } = await trace.getTracer("test").startActiveSpan("caller", async (caller) => {
      try {
        return await flaky.trigger({});
      } finally {
        caller.end();
      }
    });
    expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("SUCCESS");

    const spans = await until(async () => {
      const found = spansOf(id);
      return named(found, "run flaky-traced").length === 2 ? found : undefined;
    }, 10_000);
    const attempts = named(spans, "run flaky-traced").sort((a, b) => Number(a.attributes["durably.run.attempt"]) - Number(b.attributes["durably.run.attempt"]));
    expect(attempts.map((span) => span.attributes["durably.run.attempt"])).toEqual([1, 2]);
    expect(attempts[0]!.attributes["durably.run.outcome"]).toBe("suspended");
    expect(new Set(attempts.map((span) => span.spanContext().traceId)).size).toBe(1);

    // "first" ran once, in the first attempt; the second attempt replayed it from the journal.
    const first = named(spans, "task first");
    expect(first).toHaveLength(1);
    expect(parentOf(first[0]!)).toBe(attempts[0]!.spanContext().spanId);
    const second = named(spans, "task second").sort((a, b) => Number(a.attributes["durably.run.attempt"]) - Number(b.attributes["durably.run.attempt"]));
    expect(second.map((span) => [parentOf(span), span.status.code])).toEqual([
      [attempts[0]!.spanContext().spanId, SpanStatusCode.ERROR],
      [attempts[1]!.spanContext().spanId, SpanStatusCode.UNSET],
    ]);
    expect(spans).toHaveLength(5);
  });

  it("a child run continues its parent's trace, under the io call that triggered it", async () => {
    const child = task({ id: "child-traced", run: async () => "child" });
    const parent = task({
      id: "parent-traced",
      run: async () => child.triggerAndWait({}),
    });
    await startTestEngine("otel_child", { tasks: [parent, child] });
    const { id } = await parent.trigger({});
    expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("SUCCESS");
    const [trigger] = await until(async () => {
      const found = named(spansOf(id), "triggerAndWait child-traced");
      return found.length === 1 ? found : undefined;
    }, 10_000);
    const childRun = await until(async () => exporter.getFinishedSpans().find((span) => span.name === "run child-traced"), 10_000);
    expect(childRun.spanContext().traceId).toBe(trigger!.spanContext().traceId);
    expect(parentOf(childRun)).toBe(trigger!.spanContext().spanId);
  });

  it("a failed run's attempt span has an error status", async () => {
    const broken = task({
      id: "broken-traced",
      retry: { maxAttempts: 1 },
      run: async () => {
        throw new Error("it broke");
      },
    });
    await startTestEngine("otel_failure", { tasks: [broken] });
    const { id } = await broken.trigger({});
    expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
    const [run] = await until(async () => {
      const found = spansOf(id);
      return found.length === 1 ? found : undefined;
    }, 10_000);
    expect(run!.status).toEqual({ code: SpanStatusCode.ERROR, message: "it broke" });
    expect(run!.attributes["durably.run.outcome"]).toBe("failed");
    // Triggered outside any span: the run starts a trace of its own.
    expect(run!.parentSpanContext).toBeUndefined();
  });
});

describe("OpenTelemetry over HTTP", () => {
  const SECRET = "otel-http-secret-0123456789abcdef";
  const overHttp = task({ id: "traced-http", run: async (_: unknown, { io }) => io.runTask("step", async () => 1) });
  const runSpan = (id: string) => until(async () => named(spansOf(id), "run traced-http")[0], 10_000);

  it("a trigger request's traceparent header carries its trace into the run; a malformed one is ignored", async () => {
    const engine = await startTestEngine("otel_http", { tasks: [overHttp], http: { port: 0 }, secretKey: SECRET });
    const post = async (path: string, body: unknown, traceparent: string) => {
      const response = await fetch(`${engine.url}${path}`, {
        method: "POST", body: JSON.stringify(body),
        headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json", traceparent, tracestate: "vendor=1" },
      });
      expect(response.status).toBe(200);
      return response.json() as Promise<{ id?: string; runs?: { id: string }[] }>;
    };
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parent = "00f067aa0ba902b7";
    const { id } = await post("/api/tasks/traced-http/trigger", { payload: {} }, `00-${traceId}-${parent}-01`);
    const { runs: batch } = await post("/api/tasks/traced-http/batch", { items: [{ payload: {} }] }, `00-${traceId}-${parent}-01`);
    const { id: malformed } = await post("/api/tasks/traced-http/trigger", { payload: {} }, `00-${"0".repeat(32)}-${parent}-01`);
    for (const runId of [id!, batch![0]!.id]) {
      const span = await runSpan(runId);
      expect([span.spanContext().traceId, parentOf(span)]).toEqual([traceId, parent]);
    }
    const own = await runSpan(malformed!);
    expect([own.spanContext().traceId === traceId, own.parentSpanContext]).toEqual([false, undefined]);
  });

  it("the SDK's HTTP backend sends the caller's active trace context with trigger and batchTrigger", async () => {
    const engine = await startTestEngine("otel_http_sdk", { tasks: [overHttp], http: { port: 0 }, secretKey: SECRET });
    configure({ baseUrl: engine.url!, secretKey: SECRET });
    try {
      const caller = trace.getTracer("test").startSpan("http caller");
      const [single, batch] = await context.with(trace.setSpan(context.active(), caller), () =>
        Promise.all([overHttp.trigger({}), overHttp.batchTrigger([{ payload: {} }])]));
      caller.end();
      for (const runId of [single.id, batch.runs[0]!.id]) {
        const span = await runSpan(runId);
        expect([span.spanContext().traceId, parentOf(span)]).toEqual([caller.spanContext().traceId, caller.spanContext().spanId]);
      }
    } finally {
      await disconnect();
      configure({ databaseUrl: TEST_DATABASE_URL });
    }
  });
});

describe("with @opentelemetry/api but no tracer provider registered", () => {
  it("makes no tracing for an execution, which then takes the untraced path of every io call", async () => {
    const { loadOtelApi } = await import("../sdk/tracing/otel-api.ts");
    const { RunTracing } = await import("../engine/tracing/run-tracing.ts");
    expect(await loadOtelApi()).not.toBeNull();
    const run = { id: "run_1", task_id: "t", task_version: "1", attempts: 1, trace_context: null };
    trace.disable();
    try {
      expect(RunTracing.start(run)).toBeUndefined();
    } finally {
      trace.setGlobalTracerProvider(provider);
    }
    const tracing = RunTracing.start(run);
    expect(tracing).toBeDefined();
    tracing?.end("succeeded");
  });
});

describe("without @opentelemetry/api", () => {
  it("loads nothing and traces nothing, and triggers carry no trace context", async () => {
    vi.resetModules();
    vi.doMock("@opentelemetry/api", () => {
      throw new Error("Cannot find package '@opentelemetry/api'");
    });
    try {
      const { loadOtelApi } = await import("../sdk/tracing/otel-api.ts");
      const { RunTracing } = await import("../engine/tracing/run-tracing.ts");
      const { callerTraceContext } = await import("../sdk/tracing/trace-context.ts");
      expect(await loadOtelApi()).toBeNull();
      const caller = trace.getTracer("test").startSpan("caller");
      context.with(trace.setSpan(context.active(), caller), () => expect(callerTraceContext()).toBeNull());
      caller.end();
      expect(RunTracing.start({ id: "run_1", task_id: "t", task_version: "1", attempts: 1, trace_context: null })).toBeUndefined();
    } finally {
      vi.doUnmock("@opentelemetry/api");
      vi.resetModules();
    }
  });
});
