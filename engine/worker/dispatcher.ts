import type { Logger } from "../logger.ts";
import type { Scheduler } from "../scheduler/boss.ts";
import { executeRun, type ExecuteDeps } from "./execute-run.ts";

export interface DispatcherOptions {
  concurrency: number;
  pollIntervalMs: number;
  heartbeatSeconds: number;
  shutdownTimeoutMs: number;
}

/**
 * Pulls run jobs from pg-boss as slots free up. It fetches at once when notified of new work
 * (a trigger's NOTIFY, a local timer for a wait or retry falling due, a slot freeing up) and
 * polls only as a fallback for work other processes scheduled.
 */
export class Dispatcher {
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #running = false;
  #wake: (() => void) | undefined;
  #kicked = false;
  /** The last fetch filled every free slot, so more work is probably waiting. */
  #backlog = false;
  #loop: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Aborted by stop(): each execution finishes its step in flight and hands its run back. */
  readonly #shutdown = new AbortController();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly deps: ExecuteDeps,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
    this.#heartbeat = setInterval(() => {
      this.scheduler.touch([...this.#inFlight.keys()]).catch((error: Error) =>
        this.logger.warn("heartbeat failed", { error: error.message }),
      );
    }, (this.options.heartbeatSeconds * 1000) / 3);
  }

  /** New work may be ready: fetch now instead of waiting for the poll. */
  kick(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  wakeAt(date: Date): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.kick();
    }, Math.max(0, date.getTime() - Date.now()) + 5);
    this.#timers.add(timer);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Stops fetching; each in-flight run finishes the step it is in and is handed back before its
   * next one (runs between steps hand back at their next step). Whatever is still busy after
   * `shutdownTimeoutMs` is handed back as it is.
   */
  async stop(): Promise<void> {
    this.#running = false;
    this.#shutdown.abort();
    this.kick();
    await this.#loop;
    clearInterval(this.#heartbeat);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    let timeout: NodeJS.Timeout | undefined;
    const drained = Promise.all(this.#inFlight.values()).then(() => true);
    const timedOut = new Promise<false>((resolve) => (timeout = setTimeout(() => resolve(false), this.options.shutdownTimeoutMs)));
    const finished = await Promise.race([drained, timedOut]);
    clearTimeout(timeout);
    if (!finished) {
      const ids = [...this.#inFlight.keys()];
      this.logger.warn("handing unfinished runs back", { jobs: ids.length });
      await Promise.all(ids.map((id) => this.scheduler.giveBack(id).catch(() => undefined)));
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const free = this.options.concurrency - this.#inFlight.size;
      let fetched = 0;
      if (free > 0) {
        this.#kicked = false;
        try {
          const jobs = await this.scheduler.fetch(free);
          fetched = jobs.length;
          for (const job of jobs) this.#start(job.id, job.data, job.retryCount > 0);
        } catch (error) {
          this.logger.warn("fetching run jobs failed", { error: (error as Error).message });
        }
      }
      if (!this.#running) break;
      if (free > 0) this.#backlog = fetched === free;
      if (free > 0 && this.#backlog) continue;
      if (this.#kicked && free > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollIntervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  #start(jobId: string, data: Parameters<typeof executeRun>[1], redelivered: boolean): void {
    const task = executeRun(this.deps, data, redelivered, this.#shutdown.signal)
      .then((outcome) => (outcome === "done" ? this.scheduler.complete(jobId) : this.#handBack(jobId)))
      .catch(async (error: Error) => {
        this.logger.error("run execution failed; handing it back", { runId: data.runId, error: error.message });
        await this.#handBack(jobId);
      })
      .finally(() => {
        this.#inFlight.delete(jobId);
        // A freed slot only matters when work is waiting (a full last fetch, or a NOTIFY that
        // came while every slot was busy); new work otherwise announces itself.
        if (this.#backlog || this.#kicked) this.kick();
      });
    this.#inFlight.set(jobId, task);
  }

  /**
   * Gives the job back for another execution. A run usually fails over because the database
   * went away, so the first give-back often fails too: try again for a few seconds (Postgres
   * restarts in about one) rather than leave the run until its job's heartbeat lapses.
   */
  async #handBack(jobId: string): Promise<void> {
    for (let delayMs = 250; ; delayMs *= 2) {
      try {
        return await this.scheduler.giveBack(jobId);
      } catch (error) {
        if (!this.#running || delayMs > 4_000) {
          this.logger.warn("could not hand a run back; its heartbeat will lapse and hand it over", { error: (error as Error).message });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}
