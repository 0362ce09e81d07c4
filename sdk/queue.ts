import { DurablyError } from "./errors.ts";

/** At most `limit` runs of the queue (per concurrency key) start in any `period`. */
export interface RateLimitOptions {
  limit: number;
  /** Seconds, or a duration such as "1m" / "500ms" / "1h". */
  period: number | string;
}

export interface QueueOptions {
  /** Tasks naming the same queue share its limits; default `task:<id>`, the task's own. */
  name?: string | undefined;
  /** At most this many runs of the queue execute at once, across all workers. */
  concurrencyLimit?: number | undefined;
  rateLimit?: RateLimitOptions | undefined;
}

/** A task's queue as the engine keeps it (on the task version, and copied onto each run). */
export interface QueueLimits {
  name: string;
  concurrencyLimit: number | null;
  rateLimit: { limit: number; periodMs: number } | null;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** What the runs table holds in an integer column: about 24 days. */
const MAX_PERIOD_MS = 2 ** 31 - 1;

export function resolveQueue(taskId: string, queue: QueueOptions | undefined): QueueLimits | undefined {
  if (!queue) return undefined;
  const { concurrencyLimit, rateLimit } = queue;
  if (concurrencyLimit !== undefined && !(Number.isInteger(concurrencyLimit) && concurrencyLimit > 0)) {
    throw new DurablyError("INVALID_OPTIONS", `queue.concurrencyLimit of task "${taskId}" must be a positive whole number`);
  }
  return {
    name: queue.name ?? `task:${taskId}`,
    concurrencyLimit: concurrencyLimit ?? null,
    rateLimit: rateLimit === undefined ? null : resolveRateLimit(taskId, rateLimit),
  };
}

function resolveRateLimit(taskId: string, rateLimit: RateLimitOptions): { limit: number; periodMs: number } {
  const { limit, period } = rateLimit;
  if (!(Number.isInteger(limit) && limit > 0)) throw new DurablyError("INVALID_OPTIONS", `queue.rateLimit.limit of task "${taskId}" must be a positive whole number`);
  const match = typeof period === "string" ? /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(period.trim()) : null;
  const periodMs = typeof period === "number" ? period * 1000 : match ? Number(match[1]) * UNIT_MS[match[2] ?? "s"]! : Number.NaN;
  if (!(periodMs >= 1 && periodMs <= MAX_PERIOD_MS)) {
    throw new DurablyError("INVALID_OPTIONS", `queue.rateLimit.period of task "${taskId}" must be positive seconds or a duration like "1m" (at most about 24 days)`);
  }
  return { limit, periodMs: Math.round(periodMs) };
}
