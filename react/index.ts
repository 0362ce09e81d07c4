/**
 * `durably/react`: React hooks and a provider over the engine's HTTP/SSE API. Speaks only
 * HTTP; never imports engine code.
 */
export { DurablyProvider, type DurablyProviderProps } from "./provider.tsx";
export { createDurablyQueryClient, RETRY_UNTIL_ANSWERED } from "./client/query-client.ts";
export {
  createHttpClient,
  DurablyApiError,
  type DurablyHttpClient,
  type HttpClientOptions,
  type ListRunsParams,
  type RequestOptions,
} from "./client/http-client.ts";
export { subscribeToRunStream, type RunStreamOptions, type StreamResumePoint } from "./client/run-stream.ts";
export type { EventSourceFactory, EventSourceLike } from "./client/sse-reader.ts";
export { durablyKeys, type DurablyKeys } from "./client/query-keys.ts";
export type { DurablyContextValue } from "./context.ts";

export { queryError, type FetchResult } from "./hooks/fetch-result.ts";
export { useDurably } from "./hooks/use-durably.ts";
export { useRunStatuses, type RunStatusesResult } from "./hooks/use-run-statuses.ts";
export type { RunStatusesView } from "./hooks/use-statuses-query.ts";
export { useEventRunStatuses } from "./hooks/use-event-run-statuses.ts";
export { useRealtimeRun, type RealtimeRunResult } from "./hooks/use-realtime-run.ts";
export { useRuns, type RunsResult } from "./hooks/use-runs.ts";
export { useRunJournal, type RunJournalResult } from "./hooks/use-run-journal.ts";
export { useRunMetadataHistory, type RunMetadataHistoryResult } from "./hooks/use-run-metadata-history.ts";
export { useRealtimeStream, type RealtimeStreamResult, type UseRealtimeStreamOptions } from "./hooks/use-realtime-stream.ts";
export { useRealtimeRunWithStreams, type RealtimeRunWithStreamsResult } from "./hooks/use-realtime-run-with-streams.ts";
export { useEvent, type EventResult } from "./hooks/use-event.ts";
export { useTasks, type TasksResult } from "./hooks/use-tasks.ts";
export { useTriggerTask, type TriggerTaskVariables } from "./hooks/use-trigger-task.ts";
export { useSendEvent } from "./hooks/use-send-event.ts";
export { useRetryRun } from "./hooks/use-retry-run.ts";
export { useReplayRun } from "./hooks/use-replay-run.ts";
export { useCancelRun } from "./hooks/use-cancel-run.ts";
export { useWaitToken, type UseWaitTokenOptions, type WaitTokenResult } from "./hooks/use-wait-token.ts";
export type { RealtimeRunsOptions, RealtimeRunsResult } from "./hooks/use-run-list.ts";
export { useRealtimeRunsWithTag } from "./hooks/use-realtime-runs-with-tag.ts";
export { useRealtimeBatch } from "./hooks/use-realtime-batch.ts";
export { useTaskTrigger, type TaskTriggerOptions, type TaskTriggerPayload, type TaskTriggerResult } from "./hooks/use-task-trigger.ts";
export { useRealtimeTaskTrigger, type RealtimeTaskTriggerResult } from "./hooks/use-realtime-task-trigger.ts";

export {
  DEFAULT_STREAM_KEY,
  FINAL_RUN_STATUSES,
  isFinalRunStatus,
  JOURNAL_KINDS,
  RUN_STATUSES,
  type BulkAction,
  type BulkActionRequest,
  type BulkDryRun,
  type DurablyEvent,
  type RepairPlan,
  type RepairPoint,
  type FinalRunStatus,
  type JournalEntry,
  type JournalKind,
  type JsonObject,
  type JsonPrimitive,
  type JsonValue,
  type MetadataChange,
  type MetadataHistory,
  type MetadataOp,
  type PushedStatus,
  type Run,
  type RunCounts,
  type RunError,
  type RunFilters,
  type RunHandle,
  type RunHead,
  type RunJournal,
  type RunLogLine,
  type RunStatus,
  type RunStatusesSnapshot,
  type RunStreamMessage,
  type RunSummary,
  type RunWait,
  type RunsPage,
  type SendEventRequest,
  type SendEventResult,
  type Status,
  type StatusState,
  type StreamData,
  type StreamEnd,
  type StreamInfo,
  type StreamKeys,
  type StreamPart,
  type StreamSnapshot,
  type StatusVersion,
  type TaskInfo,
  type TaskKind,
  type TriggerOptions,
  type TriggerTaskRequest,
  WAITPOINT_STATUSES,
  type WaitpointsPage,
  type WaitpointStatus,
  type WaitpointToken,
} from "./types.ts";
