import { parseArgs } from "node:util";

/** A mistake in the command line: printed with a pointer to `durably --help`, without a stack trace. */
export class UsageError extends Error {}

/** Node's own message for an unknown flag or a flag without its value is the one line to show. */
export function parseCommandLine() {
  try {
    return parseFlags();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nRun "durably --help" for usage.\n`);
    process.exit(1);
  }
}

function parseFlags() {
  return parseArgs({
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      verbose: { type: "boolean" },
      json: { type: "boolean" },
      schema: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      role: { type: "string" },
      "data-dir": { type: "string" },
      concurrency: { type: "string" },
      dev: { type: "boolean" },
      payload: { type: "string" },
      tag: { type: "string", multiple: true },
      "idempotency-key": { type: "string" },
      "max-duration": { type: "string" },
      priority: { type: "string" },
      "debounce-key": { type: "string" },
      "debounce-delay": { type: "string" },
      "debounce-mode": { type: "string" },
      "from-seq": { type: "string" },
      run: { type: "string" },
      since: { type: "string" },
      cron: { type: "string" },
      timezone: { type: "string" },
      "deduplication-key": { type: "string" },
      status: { type: "string" },
      task: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      output: { type: "string" },
      watch: { type: "boolean" },
      "dry-run": { type: "boolean" },
      repair: { type: "boolean" },
      yes: { type: "boolean", short: "y" },
      "task-version": { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      "older-than": { type: "string" },
      "keep-status-history": { type: "string" },
      format: { type: "string" },
    },
  });
}

/** Every command's flags: one parse for all, so a flag no command knows is refused before any runs. */
export type Flags = ReturnType<typeof parseFlags>["values"];

export function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** An integer flag, refused here when the engine or the HTTP API would refuse it (or ignore it). */
export function intFlag(value: string | undefined, name: string, min: number, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer ${max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`}`);
  }
  return n;
}

export function unknownCommand(command: string, sub: string | undefined, choices: string): UsageError {
  return new UsageError(`${sub ? `Unknown ${command} command "${sub}"` : `durably ${command} needs a command`}; use ${choices}`);
}
