import { requireScope } from "./context.ts";
import { InvalidPayloadError } from "./errors.ts";
import { waitpointFunctions } from "./waitpoints.ts";

export type Duration = { seconds?: number | undefined; minutes?: number | undefined; hours?: number | undefined; days?: number | undefined };

function durationMs(d: Duration): number {
  const ms = ((d.days ?? 0) * 86_400 + (d.hours ?? 0) * 3_600 + (d.minutes ?? 0) * 60 + (d.seconds ?? 0)) * 1000;
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidPayloadError("wait.for needs a non-negative duration");
  return ms;
}

/**
 * Durable waits: the run is suspended, the worker keeps nothing in memory, and a scheduled job
 * wakes it. The wake-up time is journaled, so a replay waits for the same moment.
 */
export const wait = {
  async for(duration: Duration): Promise<void> {
    const scope = requireScope("wait.for");
    await scope.waitUntil("wait.for", new Date(Date.now() + durationMs(duration)));
  },
  async until(options: { date: Date }): Promise<void> {
    if (!(options.date instanceof Date) || Number.isNaN(options.date.getTime())) {
      throw new InvalidPayloadError("wait.until needs a valid date");
    }
    await requireScope("wait.until").waitUntil("wait.until", options.date);
  },
  ...waitpointFunctions,
};
