import type { Logger } from "../logger.ts";
import { applyRetention, type EngineRetention, type PurgeDeps, type PurgeProgress } from "./purge-runs.ts";

const MAX_INTERVAL_MS = 60_000;
const MIN_INTERVAL_MS = 1_000;

/**
 * Applies retention in the background of a worker engine: a pass at start, then at a tenth of the
 * shortest retention it knows of (at least every minute), never two passes at once.
 */
export class RetentionLoop {
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;

  constructor(
    private readonly deps: PurgeDeps,
    private readonly schema: string,
    private readonly engine: EngineRetention,
    private readonly logger: Logger,
    /** Hears each batch (the purge metrics). */
    private readonly progress?: PurgeProgress,
  ) {}

  /** `shortestMs`: the shortest retention (or history keep) among the engine's and its own tasks'. */
  start(shortestMs: number | undefined): void {
    const every = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, (shortestMs ?? MAX_INTERVAL_MS * 10) / 10));
    this.#timer = setInterval(() => this.#run(), every);
    this.#run();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pass;
  }

  #run(): void {
    if (this.#pass) return;
    this.#pass = applyRetention(this.deps, this.schema, this.engine, this.progress)
      .then((purged) => {
        if (purged === 0) return;
        this.logger.info("retention purged runs", { purged });
      })
      .catch((error: Error) => this.logger.warn("retention pass failed", { error: error.message }))
      .finally(() => (this.#pass = undefined));
  }
}
