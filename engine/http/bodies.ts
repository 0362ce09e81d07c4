import { z } from "zod";
import { BULK_ACTION_KINDS, FINAL_RUN_STATUSES, RUN_STATUSES } from "../../sdk/types.ts";
import { WAITPOINT_STATUSES } from "../../sdk/waitpoints.ts";
import { HttpError } from "./http-errors.ts";
import { MAX_PRIORITY } from "../orchestration/insert-run.ts";
import { scopesSchema } from "../auth/tokens.ts";

const id = z.string().min(1).max(256);

export const triggerBody = z.object({
  payload: z.unknown().optional(),
  options: z
    .object({
      metadata: z.record(z.string(), z.unknown()).optional(),
      idempotencyKey: id.optional(),
      delay: z.union([z.number().nonnegative(), z.string().max(64)]).optional(),
      tags: z.union([id, z.array(id).max(10)]).optional(),
      idempotencyKeyTTL: z.union([z.number().positive(), z.string().max(64)]).optional(),
      ttl: z.union([z.number().positive(), z.string().max(64)]).optional(),
      concurrencyKey: id.optional(),
      maxDuration: z.number().positive().optional(),
      priority: z.number().int().nonnegative().max(MAX_PRIORITY).optional(),
      debounce: z.object({ key: id, delay: z.union([z.number().positive(), z.string().max(64)]), mode: z.enum(["leading", "trailing"]).optional() })
        .strict().optional(),
    })
    .strict()
    .optional(),
}).strict();

/** A batch is one transaction; Trigger.dev caps its batches at 500 items too. */
export const batchTriggerBody = z.object({ items: z.array(triggerBody).min(1).max(500), idempotencyKey: id.optional() }).strict();

export const eventBody = z.object({ name: id, payload: z.unknown().optional(), id: id.optional() }).strict();

export const forkBody = z.object({ fromSeq: z.number().int().min(1) }).strict();

export const scheduleBody = z
  .object({
    task: id,
    cron: z.string().min(1).max(200),
    timezone: z.string().max(64).optional(),
    payload: z.unknown().optional(),
    deduplicationKey: id,
  })
  .strict();

/** Trigger.dev's `expirationTime`: a duration ("1h"), an ISO date, or epoch seconds. */
const expirationTime = z.union([z.number().positive(), z.string().max(64)]).optional().transform((value) =>
  typeof value === "string" && !/^\d+\s*[smh]$/.test(value.trim()) ? new Date(value) : value);

export const tokenBody = z
  .object({ scopes: scopesSchema, expiresIn: z.union([z.number().positive(), z.string().max(16)]).optional(), expirationTime })
  .strict();

export const triggerTokenBody = z.object({ task: id, expirationTime, multipleUse: z.boolean().optional() }).strict();

/** What a browser holding a trigger token may set: nothing that reaches another run (tags, idempotency keys) or a queue. */
export const TRIGGER_TOKEN_OPTIONS = new Set(["metadata", "delay", "ttl", "maxDuration"]);

// `new Date()` alone accepts junk such as "$1" or "x' OR '1" as 2001-01-01: require ISO 8601.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

const isoDate = z.string().max(64).transform((value, ctx) => {
  const date = new Date(value);
  if (!ISO_DATE.test(value) || Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: "custom", message: "must be an ISO date" });
    return z.NEVER;
  }
  return date;
});

export const listQuery = z.object({
  status: z
    .string()
    .max(200)
    .transform((s) => s.split(",").map((x) => x.trim().toUpperCase()))
    .pipe(z.array(z.enum(RUN_STATUSES)))
    .optional(),
  taskIdentifier: id.optional(),
  tag: id.optional(),
  eventId: id.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  metadataKey: id.optional(),
  metadataValue: z.string().max(1024).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(200).optional(),
});

export function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join(".") || where}: ${i.message}`).join("; ");
    throw new HttpError(400, "INVALID_REQUEST", `Invalid ${where}: ${detail}`);
  }
  return result.data;
}

/** A body without a payload triggers with `{}`; an explicit `null` is a payload like any other. */
export const payloadOf = (body: { payload?: unknown }): unknown => (body.payload === undefined ? {} : body.payload);

export const streamTokenBody = z.object({ path: z.string().min(1).max(600) }).strict();

export const waitTokenBody = z
  .object({
    timeout: z.union([z.number().nonnegative(), z.string().max(64)]).optional(),
    idempotencyKey: id.optional(),
    idempotencyKeyTTL: z.union([z.number().positive(), z.string().max(64)]).optional(),
    tags: z.union([id, z.array(id).max(10)]).optional(),
  })
  .strict();

/** Trigger.dev's shape: the output is `data`; none completes the token with undefined. */
export const completeTokenBody = z.object({ data: z.unknown().optional() }).strict();

/** A callback's body is the output itself, any JSON value. */
export const callbackBody = z.unknown();

export const waitpointListQuery = z.object({
  status: z.string().max(200).transform((s) => s.split(",").map((x) => x.trim().toUpperCase())).pipe(z.array(z.enum(WAITPOINT_STATUSES))).optional(),
  tags: z.string().max(2000).transform((s) => s.split(",").map((x) => x.trim())).pipe(z.array(id).max(10)).optional(),
  runId: id.optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(200).optional(),
});

/** `?after=N&limit=M` on a stream's JSON read. */
export const streamPageQuery = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

/** `POST /api/bulk-actions`: `runs.list`'s filter (JSON, no paging) and the task version. */
export const bulkBody = z
  .object({
    action: z.enum(BULK_ACTION_KINDS),
    filter: z
      .object({
        status: z.union([z.enum(RUN_STATUSES), z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length)]).optional(),
        taskIdentifier: id.optional(),
        taskVersion: id.optional(),
        runIds: z.array(id).min(1).max(500).optional(),
        tag: id.optional(),
        eventId: id.optional(),
        from: isoDate.optional(),
        to: isoDate.optional(),
        metadataKey: id.optional(),
        metadataValue: z.string().max(1024).optional(),
      })
      .strict(),
    fromSeq: z.number().int().min(1).optional(),
    dryRun: z.boolean().optional(),
  })
  .strict();

/** `runs.purge`: the age is checked by the engine, which names the accepted forms. */
export const purgeBody = z
  .object({
    olderThan: z.union([z.number(), z.string().max(64)]),
    task: id.optional(),
    status: z.union([z.enum(FINAL_RUN_STATUSES), z.array(z.enum(FINAL_RUN_STATUSES)).min(1).max(FINAL_RUN_STATUSES.length)]).optional(),
    dryRun: z.boolean().optional(),
    keepStatusHistory: z.union([z.number(), z.string().max(64)]).optional(),
  })
  .strict();

/** `GET /api/audit/verify`: one run, or the runs created since an ISO date, or every run. */
export const auditVerifyQuery = z
  .object({
    run: id.optional(),
    since: z.string().max(64).refine((text) => !Number.isNaN(new Date(text).getTime()), "must be an ISO date").transform((text) => new Date(text)).optional(),
  })
  .strict();

export const auditExportQuery = z.object({ format: z.enum(["json", "csv"]).default("json") }).strict();
