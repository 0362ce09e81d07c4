import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { Engine } from "durably/engine";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Every name each entry point exports, as the built package has it. A change here is a change to
 * what users may build on: make it on purpose, here, not by exporting a helper in passing.
 */
const PUBLIC = {
  sdk: {
    entry: "durably",
    values: [
      "AbortTaskRunError", "Client", "DEFAULT_STREAM_KEY", "DatabaseNotMigratedError", "DatabaseUnreachableError",
      "DuplicateTaskError", "DurablyError", "EngineUnreachableError", "EventNotFoundError", "InvalidPayloadError",
      "InvalidRunStateError", "MaxDurationExceededError", "MetadataTooLargeError", "NonDeterminismError", "NotConfiguredError",
      "OutsideRunError", "RUN_STATUSES", "RunFailedError", "RunNotFoundError", "ScheduleNotFoundError",
      "StreamChunkTooLargeError", "StreamResetError", "StreamTooLargeError", "TaskNotFoundError", "TimeoutError",
      "WAITPOINT_STATUSES", "WaitpointCompletedError", "WaitpointNotFoundError", "WaitpointTimeoutError", "audit", "auth", "configure",
      "disconnect", "eventTrigger", "logger", "metadata", "runs", "schedules", "streams", "task", "tasks", "wait",
    ],
    types: [
      "AnyTask", "AsyncIterableStream", "AuditBrokenLink", "AuditHistory", "AuditVerifyResult", "AuditVersion", "BatchHandle", "BatchItem", "BulkAction", "BulkActionKind", "BulkDryRun", "BulkForkOptions", "BulkOptions", "BulkRunsFilter", "ChildRunResult", "ClientOptions", "ConfigureOptions", "CreateScheduleOptions",
      "CreateWaitTokenOptions", "DefinedStream", "Duration", "EventRecord", "EventTrigger", "HookParams", "IO", "Job",
      "JobOptions", "JournalCall", "JournalEntry", "Json", "LifecycleHooks", "ListRunsFilter", "ListWaitTokensFilter", "Logger",
      "Metadata", "MetadataChange", "PipeResult", "PipeStreamResult", "PublicTokenOptions", "PurgeResult", "PurgeRunsOptions", "QueueOptions", "RateLimitOptions", "RetentionDuration", "RetentionOptions", "RetryOptions",
      "Run", "RunContext", "RunHandle", "RunHead", "RunList", "RunStatus", "RunStatusView", "RunStatuses", "RunTaskOptions",
      "RunWait", "ScheduleRecord", "ScheduledPayload", "SerializedError", "StatusHandle", "StatusInput", "StatusState",
      "StatusVersion", "StreamChunk", "StreamEvent", "StreamInfo", "StreamReadOptions", "StreamSnapshot", "StreamSource", "Task",
      "TaskContext", "TaskIdentifier", "TaskOptions", "TaskOutput", "TaskPayload", "TaskRunContext", "TransactionClient",
      "TriggerOptions", "TriggerPublicTokenOptions", "WaitToken", "WaitTokenResult", "WaitpointList", "WaitpointRecord",
      "WaitpointStatus",
    ],
  },
  engine: {
    entry: "durably/engine",
    values: [
      "Engine", "connect", "createEngine", "migrate",
    ],
    types: [
      "Backend", "EngineOptions",
    ],
  },
  react: {
    entry: "durably/react",
    values: [
      "DEFAULT_STREAM_KEY", "DurablyApiError", "DurablyProvider", "FINAL_RUN_STATUSES", "JOURNAL_KINDS", "RETRY_UNTIL_ANSWERED", "RUN_STATUSES",
      "WAITPOINT_STATUSES", "createDurablyQueryClient", "createHttpClient", "durablyKeys", "isFinalRunStatus", "queryError",
      "subscribeToRunStream", "useCancelRun", "useDurably", "useEvent", "useEventRunStatuses",
      "useRealtimeBatch", "useRealtimeRun", "useRealtimeRunWithStreams", "useRealtimeRunsWithTag", "useRealtimeStream", "useRealtimeTaskTrigger",
      "useReplayRun", "useRetryRun", "useRunJournal", "useRunMetadataHistory", "useRunStatuses", "useRuns",
      "useSendEvent", "useTaskTrigger", "useTasks", "useTriggerTask", "useWaitToken",
    ],
    types: [
      "BulkAction", "BulkActionRequest", "BulkDryRun", "DurablyContextValue", "DurablyEvent", "DurablyHttpClient", "DurablyKeys", "DurablyProviderProps",
      "EventResult", "EventSourceFactory", "EventSourceLike", "FetchResult", "FinalRunStatus",
      "HttpClientOptions", "JournalEntry", "JournalKind", "JsonObject", "JsonPrimitive", "JsonValue",
      "ListRunsParams", "MetadataChange", "MetadataHistory", "MetadataOp", "PushedStatus", "RealtimeRunResult",
      "RealtimeRunWithStreamsResult", "RealtimeRunsOptions", "RealtimeRunsResult", "RealtimeStreamResult", "RealtimeTaskTriggerResult", "RepairPlan",
      "RepairPoint", "RequestOptions", "Run", "RunCounts", "RunError", "RunFilters",
      "RunHandle", "RunHead", "RunJournal", "RunJournalResult", "RunLogLine", "RunMetadataHistoryResult", "RunStatus",
      "RunStatusesResult", "RunStatusesSnapshot", "RunStatusesView", "RunStreamMessage", "RunStreamOptions", "RunSummary",
      "RunWait", "RunsPage", "RunsResult", "SendEventRequest", "SendEventResult", "Status",
      "StatusState", "StatusVersion", "StreamData", "StreamEnd", "StreamInfo", "StreamKeys", "StreamPart",
      "StreamResumePoint", "StreamSnapshot", "TaskInfo", "TaskKind", "TaskTriggerOptions", "TaskTriggerPayload",
      "TaskTriggerResult", "TasksResult", "TriggerOptions", "TriggerTaskRequest", "TriggerTaskVariables", "UseRealtimeStreamOptions",
      "UseWaitTokenOptions", "WaitTokenResult", "WaitpointStatus", "WaitpointToken", "WaitpointsPage",
    ],
  },
};

/** The names a built declaration file exports, values and types apart. */
function declaredExports(declarations: string): { values: string[]; types: string[] } {
  const values: string[] = [];
  const types: string[] = [];
  for (const [, typeOnly, list] of declarations.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const part of list!.split(",").map((p) => p.trim()).filter(Boolean)) {
      const name = part.replace(/^type\s+/, "").split(/\s+as\s+/).at(-1)!;
      (typeOnly || part.startsWith("type ") ? types : values).push(name);
    }
  }
  return { values: values.sort(), types: types.sort() };
}

describe("the public API", () => {
  for (const [dir, { entry, values, types }] of Object.entries(PUBLIC)) {
    it(`${entry} exports exactly the pinned names, values and types`, async () => {
      const built = (await import(`${root}dist/${dir}/index.js`)) as Record<string, unknown>;
      expect(Object.keys(built).sort()).toEqual(values);
      const declared = declaredExports(await readFile(`${root}dist/${dir}/index.d.ts`, "utf8"));
      expect(declared).toEqual({ values, types });
    });
  }

  it("an Engine offers operators its lifecycle and options, nothing of its insides", async () => {
    expectTypeOf<keyof Engine>().toEqualTypeOf<"options" | "url" | "start" | "stop">();
    const { Engine: built } = (await import(`${root}dist/engine/index.js`)) as { Engine: { prototype: object } };
    expect(Object.getOwnPropertyNames(built.prototype).sort()).toEqual(["constructor", "start", "stop", "url"]);
  });
});
