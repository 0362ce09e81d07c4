import { currentScope } from "./context.ts";
import type { RunLogLevel } from "../wire/index.ts";

type Log = (message: string, fields?: Record<string, unknown>) => void;

const to = (level: RunLogLevel): Log => (message, fields) => {
  const scope = currentScope();
  if (scope) scope.log(level, message, fields);
  else if (fields === undefined) console[level](message);
  else console[level](message, fields);
};

/**
 * Trigger.dev v3's `logger`: inside a run each line is stored with the run (level, time, the
 * journal position it belongs to, the fields) and shown beside its timeline; a replay does not
 * store a line twice. Outside a run it writes to the console.
 */
export const logger: { debug: Log; log: Log; info: Log; warn: Log; error: Log } = {
  debug: to("debug"),
  log: to("log"),
  info: to("info"),
  warn: to("warn"),
  error: to("error"),
};
