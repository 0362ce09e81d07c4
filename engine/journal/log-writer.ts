import { Batcher } from "../db/batcher.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { Logger } from "../logger.ts";
import type { LogLine, LogSink } from "./run-log.ts";

/**
 * The log lines of every execution in the process, stored in batches: while one insert is in
 * flight the lines logged meanwhile queue, and go together in the next (one statement, one
 * commit), so a chatty run pays per batch, not per line. A line is not durable when the call
 * that logged it returns; a run's lines are stored before its end is (see execute-run.ts).
 */
export class LogWriter implements LogSink {
  readonly #batcher: Batcher<LogLine, undefined>;
  readonly #pending = new Set<Promise<void>>();

  constructor(db: Database, sql: Statements, channel: string, private readonly logger: Logger) {
    this.#batcher = new Batcher<LogLine, undefined>(
      async (lines) => {
        await db.query(sql.logs.insertMany, [
          lines.map((l) => l.runId), lines.map((l) => l.seq), lines.map((l) => l.attempt), lines.map((l) => l.index),
          lines.map((l) => l.level), lines.map((l) => l.message), lines.map((l) => l.fields), lines.map((l) => l.at),
          channel,
        ]);
        return lines.map(() => undefined);
      },
      { maxBatch: 1000, concurrency: 1 },
    );
  }

  write(line: LogLine): Promise<void> {
    const stored = this.#batcher.run(line).then(
      () => undefined,
      (error: Error) => {
        // A lost line must not fail the run that logged it (its run may also have been deleted).
        this.logger.warn("storing a run's log line failed", { runId: line.runId, error: error.message });
      },
    );
    this.#pending.add(stored);
    void stored.finally(() => this.#pending.delete(stored));
    return stored;
  }

  /** Resolves once every line written so far is stored: a stopping engine waits for it before closing its pool. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
