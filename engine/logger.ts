import type { Logger as SdkLogger } from "../sdk/context.ts";

export type Logger = SdkLogger;
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_FIELD = /(secret|token|password|authorization|key)$/i;

/** One structured logger: JSON lines on stderr, secrets redacted by field name. */
export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  const emit = (at: Exclude<LogLevel, "silent">) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const line: Record<string, unknown> = { level: at, time: new Date().toISOString(), msg: message, ...bindings };
    Object.assign(line, redactFields(fields ?? {}));
    process.stderr.write(JSON.stringify(line) + "\n");
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** The fields with the value of each one named like a secret replaced. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_FIELD.test(k) ? "[redacted]" : v;
  return out;
}
