import type { RunStatus, SerializedError } from "../../wire/index.ts";

export const ALERT_EVENTS = ["run.failed", "run.timed_out", "run.canceled"] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

/** What a run's end is an alert for: a run past its `maxDuration` timed out rather than failed; success is none. */
export function alertEventOf(status: RunStatus, error: SerializedError | null): AlertEvent | undefined {
  if (status === "CANCELED") return "run.canceled";
  if (status !== "FAILURE") return undefined;
  return error?.code === "MAX_DURATION_EXCEEDED" ? "run.timed_out" : "run.failed";
}
