import {
  DurablyError,
  EventNotFoundError,
  InvalidPayloadError,
  InvalidRunStateError,
  MetadataTooLargeError,
  RunNotFoundError,
  ScheduleNotFoundError,
  TaskNotFoundError,
  WaitpointCompletedError,
  WaitpointNotFoundError,
} from "../errors.ts";

/** What a request was about: the ids some error classes carry, which the answer does not repeat. */
export interface RequestSubject {
  runId?: string;
  taskId?: string;
  eventId?: string;
  scheduleId?: string;
  waitpointId?: string;
}

/**
 * An engine's `{ error: { code, message } }` answer as the class the direct backend throws for the
 * same code, so `instanceof` and `code` work alike over both. Bad input the HTTP layer refuses
 * before the engine sees it (`INVALID_REQUEST`, `INVALID_JSON`) is what the engine would call an
 * invalid payload. The message is always the engine's own.
 */
export function errorFromWire(status: number, body: unknown, subject: RequestSubject): DurablyError {
  const wire = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof wire?.code === "string" ? wire.code : `HTTP_${status}`;
  const message = typeof wire?.message === "string" ? wire.message : `The engine answered ${status}`;
  const error = classFor(code, message, subject);
  error.message = message;
  return error;
}

function classFor(code: string, message: string, subject: RequestSubject): DurablyError {
  switch (code) {
    case "RUN_NOT_FOUND":
      return new RunNotFoundError(subject.runId ?? "");
    case "EVENT_NOT_FOUND":
      return new EventNotFoundError(subject.eventId ?? "");
    case "TASK_NOT_FOUND":
      return new TaskNotFoundError(subject.taskId ?? "");
    case "SCHEDULE_NOT_FOUND":
      return new ScheduleNotFoundError(subject.scheduleId ?? "");
    case "WAITPOINT_NOT_FOUND":
      return new WaitpointNotFoundError(subject.waitpointId ?? "");
    case "WAITPOINT_COMPLETED":
      return new WaitpointCompletedError(subject.waitpointId ?? "", message.includes("TIMED_OUT") ? "TIMED_OUT" : "COMPLETED");
    case "INVALID_RUN_STATE":
      return new InvalidRunStateError(message);
    case "INVALID_PAYLOAD":
    case "INVALID_REQUEST":
    case "INVALID_JSON":
      return new InvalidPayloadError(message);
    case "METADATA_TOO_LARGE": {
      // The sizes are only in the message the engine built from them.
      const [, size, limit] = /(\d+) bytes, over the limit of (\d+)/.exec(message) ?? [];
      return new MetadataTooLargeError(Number(size), Number(limit));
    }
    default:
      return new DurablyError(code, message);
  }
}
