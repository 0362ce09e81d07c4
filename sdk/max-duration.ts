import { InvalidPayloadError } from "./errors.ts";

/**
 * `maxDuration` is in seconds, as in Trigger.dev; fractions are kept to the millisecond (Trigger.dev's
 * floor of 5 s is a platform limit, not one of durably's).
 */
export function maxDurationMs(seconds: unknown): number | null {
  if (seconds === undefined || seconds === null) return null;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0 || seconds * 1000 > 2 ** 31 - 1) {
    throw new InvalidPayloadError("maxDuration must be a positive number of seconds (at most about 24 days)");
  }
  return Math.max(1, Math.round(seconds * 1000));
}
