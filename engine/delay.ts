import { InvalidPayloadError } from "../sdk/errors.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A trigger's `delay`: seconds (a number, or digits as text: `new Date("90")` would read them as
 * the year 1990 and start the run at once), a duration like "30s" / "5m" / "2h", or a date (an ISO
 * date as text: `new Date("-5")` is the year -5).
 */
export function parseDelay(delay: number | string | Date | undefined, now = Date.now()): Date | undefined {
  if (delay === undefined) return undefined;
  if (delay instanceof Date) return valid(delay, "delay is an invalid Date");
  if (typeof delay === "number") {
    if (!Number.isFinite(delay) || delay < 0) throw new InvalidPayloadError("delay must be a non-negative number of seconds");
    return valid(new Date(now + delay * 1000), `delay ${delay} s is too far in the future`);
  }
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/.exec(delay.trim());
  if (match) return valid(new Date(now + Number(match[1]) * UNIT_MS[match[2] ?? "s"]!), `delay "${delay}" is too far in the future`);
  const notOne = `delay "${delay}" is neither seconds, a duration like "30s", nor an ISO date`;
  if (!/^\d{4}-\d{2}-\d{2}/.test(delay.trim())) throw new InvalidPayloadError(notOne);
  return valid(new Date(delay), notOne);
}

/** A Date past JavaScript's range is Invalid Date, which would start the run at once. */
function valid(date: Date, message: string): Date {
  if (Number.isNaN(date.getTime())) throw new InvalidPayloadError(message);
  return date;
}
