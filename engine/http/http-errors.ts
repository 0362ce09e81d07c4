import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DurablyError } from "../../sdk/errors.ts";
import type { Logger } from "../logger.ts";

const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RUN_NOT_FOUND: 404,
  EVENT_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  BULK_ACTION_NOT_FOUND: 404,
  NOT_FOUND: 404,
  INVALID_RUN_STATE: 409,
  WAITPOINT_NOT_FOUND: 404,
  BATCH_NOT_FOUND: 404,
  WAITPOINT_COMPLETED: 409,
  BODY_TOO_LARGE: 413,
  METADATA_TOO_LARGE: 413,
};

export class HttpError extends DurablyError {
  readonly status: ContentfulStatusCode;
  readonly headers: Record<string, string>;
  constructor(status: ContentfulStatusCode, code: string, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.status = status;
    this.headers = headers;
  }
}

/** The client went away (or was cut by the request timeout) while its body was being read. */
export class RequestAbortedError extends HttpError {
  constructor() {
    super(400, "REQUEST_ABORTED", "The request body did not arrive whole");
  }
}

/** Every error leaves as `{ error: { code, message } }`; unexpected ones never leak internals. */
export function errorResponse(c: Context, error: unknown, logger: Logger): Response {
  // Clients that hang up are routine, and anyone can cause them: not an error of ours to log loud.
  if (error instanceof RequestAbortedError || c.req.raw.signal.aborted) {
    logger.debug("request aborted", { method: c.req.method, path: c.req.path });
    return c.json({ error: { code: "REQUEST_ABORTED", message: "The request was aborted" } }, 400);
  }
  if (error instanceof HttpError) return c.json({ error: { code: error.code, message: error.message } }, error.status, error.headers);
  if (error instanceof DurablyError) {
    const status = STATUS_BY_CODE[error.code] ?? 400;
    return c.json({ error: { code: error.code, message: error.message } }, status);
  }
  const pgCode = (error as { code?: unknown }).code;
  if (pgCode === "22P05" || pgCode === "22021" || pgCode === "22P02") {
    return c.json({ error: { code: "INVALID_PAYLOAD", message: "The request contains text PostgreSQL cannot store" } }, 400);
  }
  logger.error("request failed", { path: c.req.path, error: (error as Error).message });
  return c.json({ error: { code: "INTERNAL", message: "Internal error" } }, 500);
}
