/** How the CLI writes times, durations, values and progress for a person to read. */

/** UTC, to the second: the same on every machine, and sorts as text. */
export function formatTime(date: Date | null): string {
  return date ? date.toISOString().slice(0, 19).replace("T", " ") + "Z" : "—";
}

export function formatDuration(ms: number | null): string {
  if (ms === null || Number.isNaN(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${Math.round(seconds % 60)}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** From start to end, or to `now` while it goes on; nothing before it started. */
export function durationOf(start: Date | null, end: Date | null, now = Date.now()): string {
  return start ? formatDuration((end?.getTime() ?? now) - start.getTime()) : "—";
}

/** A value on one line: strings as they are, anything else as compact JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "—";
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? String(value);
}

/** A fraction from 0 to 1 (`progress` in a status's data or the metadata), as a bar and a percentage. */
export function progressBar(fraction: number, width = 20): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.round(clamped * 100)}%`;
}

/** The `progress` an object holds, when it is a number from 0 to 1. */
export function progressOf(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const progress = (value as { progress?: unknown }).progress;
  return typeof progress === "number" && progress >= 0 && progress <= 1 ? progress : undefined;
}
