import type { OnTheWire, RunLogLevel, RunLogLine, RunLogPage } from "../../../../../wire/index.ts";

export type LogLine = OnTheWire<RunLogLine>;
export type LogPage = OnTheWire<RunLogPage>;
export type { RunLogLevel };

/** The levels, in order of severity (as the engine's RUN_LOG_LEVELS). */
export const LOG_LEVELS: readonly RunLogLevel[] = ["debug", "log", "info", "warn", "error"];

export interface LogFilter {
  levels: readonly RunLogLevel[];
  search: string;
}

/** The same test the engine's route applies, for lines pushed live. */
export function matchesFilter(line: LogLine, filter: LogFilter): boolean {
  if (filter.levels.length > 0 && !filter.levels.includes(line.level)) return false;
  if (!filter.search) return true;
  const needle = filter.search.toLowerCase();
  return line.message.toLowerCase().includes(needle) || (line.fields !== null && JSON.stringify(line.fields).toLowerCase().includes(needle));
}
