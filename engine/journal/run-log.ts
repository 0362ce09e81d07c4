import { AsyncLocalStorage } from "node:async_hooks";
import type { RunLogLevel } from "../../wire/index.ts";
import { redactFields } from "../logger.ts";

/** One line as it is stored: keyed by run, journal position, step attempt and index there. */
export interface LogLine {
  runId: string;
  seq: number;
  attempt: number;
  index: number;
  level: RunLogLevel;
  message: string;
  /** The fields as JSON text, or null. */
  fields: string | null;
  at: Date;
}

/** Where lines go: stored in batches, not before the call that logged them returns. */
export interface LogSink {
  write(line: LogLine): Promise<void>;
}

/** Past this, a message or the fields' JSON is cut: a log line is not a place for a payload. */
const MAX_TEXT = 32 * 1024;

interface StepPosition {
  log: RunLog;
  seq: number;
  attempt: number;
}

/** The step whose code is running, so a line logged inside it belongs to that step's attempt. */
const steps = new AsyncLocalStorage<StepPosition>();

/**
 * The lines one execution of a run logs. A line belongs to the step it was logged in (by that
 * step's seq and attempt), or else to the journal position the code has reached (the seq of its
 * last io call, attempt 0), and is numbered within it. A replay runs the same code through the
 * same positions, so the lines it logs again get the keys they were stored under and are skipped;
 * a step's new attempt logs under its own attempt number.
 */
export class RunLog {
  readonly #counts = new Map<string, number>();
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly runId: string,
    private readonly sink: LogSink | undefined,
    private readonly position: () => number,
  ) {}

  /** Runs a step attempt's code so that the lines it logs belong to it. */
  inStep<T>(seq: number, attempt: number, fn: () => T): T {
    return steps.run({ log: this, seq, attempt }, fn);
  }

  write(level: RunLogLevel, message: unknown, fields?: unknown): void {
    if (!this.sink) return;
    const step = steps.getStore();
    const { seq, attempt } = step?.log === this ? step : { seq: this.position(), attempt: 0 };
    const key = `${seq}:${attempt}`;
    const index = this.#counts.get(key) ?? 0;
    this.#counts.set(key, index + 1);
    const line: LogLine = { runId: this.runId, seq, attempt, index, level, message: cut(String(message)), fields: fieldsJson(fields), at: new Date() };
    const stored = this.sink.write(line).finally(() => this.#pending.delete(stored));
    this.#pending.add(stored);
  }

  /** Resolves once every line logged so far is stored (or failed to be). */
  async flushed(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length} characters)` : text;
}

/** Fields as JSON (secrets redacted by name, errors as their name and message), never failing the call that logged them. */
function fieldsJson(fields: unknown): string | null {
  if (fields === undefined || fields === null) return null;
  const value = typeof fields === "object" && !Array.isArray(fields) ? redactFields(fields as Record<string, unknown>) : { value: fields };
  let json: string;
  try {
    json = JSON.stringify(value, (_key, v: unknown) =>
      typeof v === "bigint" ? v.toString() : v instanceof Error ? { name: v.name, message: v.message } : v,
    );
  } catch (error) {
    json = JSON.stringify({ unserializable: (error as Error).message });
  }
  return json.length > MAX_TEXT ? JSON.stringify({ truncated: true, preview: json.slice(0, 1000) }) : json;
}
