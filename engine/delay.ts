import { InvalidPayloadError } from "../sdk/errors.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A trigger's `delay`: seconds (a number, or digits as text: `new Date("90")` would read them as
 * the year 1990 and start the run at once), a duration like "30s" / "5m" / "2h", or a date.
 */
export function parseDelay(delay: number | string | Date | undefined, now = Date.now()): Date | undefined {
  if (delay === undefined) return undefined;
  if (delay instanceof Date) {
    if (Number.isNaN(delay.getTime())) throw new InvalidPayloadError("delay is an invalid Date");
    return delay;
  }
  if (typeof delay === "number") {
    if (!Number.isFinite(delay) || delay < 0) throw new InvalidPayloadError("delay must be a non-negative number of seconds");
    return new Date(now + delay * 1000);
  }
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/.exec(delay.trim());
  if (!match) {
    const date = new Date(delay);
    if (Number.isNaN(date.getTime())) throw new InvalidPayloadError(`delay "${delay}" is neither a duration like "30s" nor a date`);
    return date;
  }
  return new Date(now + Number(match[1]) * UNIT_MS[match[2] ?? "s"]!);
}
