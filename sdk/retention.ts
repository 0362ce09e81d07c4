import { InvalidPayloadError } from "./errors.ts";

/** A run's age as `retention` or a purge's `olderThan`: seconds, or "90s" / "12h" / "30d" / "2w". */
export type RetentionDuration = number | string;

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Past this, an age would go beyond what a date holds; nothing finished that long ago. */
const MAX_MS = 100 * 365 * 86_400_000;

/** The duration in ms; `what` names the option in the error a bad value gets. */
export function durationMs(value: RetentionDuration, what: string): number {
  const match = typeof value === "string" ? /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?$/.exec(value.trim()) : null;
  const ms = typeof value === "number" ? value * 1000 : match ? Number(match[1]) * UNIT_MS[match[2] ?? "s"]! : Number.NaN;
  if (!(ms >= 1000 && ms <= MAX_MS)) {
    throw new InvalidPayloadError(`${what} must be at least one second: seconds, or a duration like "12h", "30d" or "2w" (got ${JSON.stringify(value)})`);
  }
  return Math.round(ms);
}

/**
 * `retention` of a task or an engine: how long finished runs stay (a duration alone), or that and
 * how long the history of the purged runs stays (`keepStatusHistory`: their status entries and
 * metadata history, still readable and verifiable; docs/retention.md).
 */
export type RetentionOptions = RetentionDuration | { runs?: RetentionDuration | undefined; keepStatusHistory?: RetentionDuration | undefined };

/** `retention` in ms: the runs' and their history's; `what` names the option in errors. */
export function retentionMs(value: RetentionOptions, what: string): { runsMs: number | undefined; keepHistoryMs: number | undefined } {
  if (typeof value !== "object" || value === null) return { runsMs: durationMs(value, what), keepHistoryMs: undefined };
  const unknown = Object.keys(value).filter((key) => key !== "runs" && key !== "keepStatusHistory");
  if (unknown.length > 0) throw new InvalidPayloadError(`${what} takes runs and keepStatusHistory (got ${unknown.join(", ")})`);
  return {
    runsMs: value.runs === undefined ? undefined : durationMs(value.runs, `${what}.runs`),
    keepHistoryMs: value.keepStatusHistory === undefined ? undefined : durationMs(value.keepStatusHistory, `${what}.keepStatusHistory`),
  };
}
