import type { Logger } from "../logger.ts";
import type { Scheduler } from "../jobs/pg-boss.ts";
import type { ClaimedRow } from "../db/rows.ts";
import { executeClaimed, executeRun, type ExecuteDeps, type ExecutionControl, type JobOutcome } from "./execute-run.ts";
import type { HeldRun, ReadyRuns } from "./ready-runs.ts";
import { WakeUps } from "./wake-ups.ts";

export interface DispatcherOptions {
  concurrency: number;
  pollIntervalMs: number;
  heartbeatSeconds: number;
  recoverySeconds: number;
  shutdownTimeoutMs: number;
}

/** An execution in flight: started by a pg-boss job, or claimed from the ready runs. */
type Held = { job: string } | { run: HeldRun };

/**
 * A backlog of ready runs could fill every slot at each fetch and starve the jobs (wake-ups,
 * retries, delayed starts): jobs are fetched first whenever they were last looked at this long ago.
 */
const JOBS_FIRST_AFTER_MS = 100;

/**
 * The wake channel's payload of a NOTIFY that announces jobs due now (runs a waitpoint's
 * completion could not resume itself are woken by job, see waitpoints/wake-runs.ts): the next
 * fetch takes jobs first, and looks for ready runs only if something else may have brought some.
 * Looking anyway cost the woken run a round trip before its fetch, or, after it, delayed its
 * claim (same connections). Any other payload announces ready runs, which an idle worker claims
 * first for the same reason; under a backlog, jobs that have not had a look for a while go first.
 */
export const JOBS_DUE = "jobs";

/**
 * Fills free slots with ready runs (claimed straight from `runs`) and run jobs from pg-boss. It
 * fetches at once when notified of new work (a trigger's NOTIFY, a local timer for a wait or
 * retry falling due, a slot freeing up) and polls only as a fallback for work other processes
 * scheduled. While ready runs are waiting, a slot freed by a run's code claims the next run in
 * the statement that ends that run: with a claim of its own after the end, each slot sat idle
 * for one round trip per run (27 of 32 slots busy on average in the throughput bench, 31 now).
 */
export class Dispatcher {
  readonly #inFlight = new Map<string, { held: Held; task: Promise<void> }>();
  /**
   * Executions whose run code is still running. A slot frees when the code is done, while the
   * run's end commits: the next run need not wait for that round trip.
   */
  #busy = 0;
  /** Slots that claims in flight may fill. */
  #claiming = 0;
  /** Claims for freed slots, in flight outside the loop: `stop` waits for the runs they bring. */
  readonly #refills = new Set<Promise<void>>();
  readonly #wakeUps = new WakeUps(() => this.kick());
  #running = false;
  #wake: (() => void) | undefined;
  #kicked = false;
  /** A kick announced jobs due now: fetch them first. */
  #jobsDue = false;
  /** A kick that did not say what is due: ready runs may be. */
  #anyDue = false;
  /** The last fetch filled every free slot, so more work is probably waiting. */
  #backlog = false;
  #loop: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #recovery: NodeJS.Timeout | undefined;
  #jobsFetchedAt = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly ready: ReadyRuns,
    private readonly deps: ExecuteDeps,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
    this.#heartbeat = setInterval(() => {
      const held = [...this.#inFlight.values()].map((f) => f.held);
      const jobs = held.flatMap((h) => ("job" in h ? [h.job] : []));
      const runs = held.flatMap((h) => ("run" in h ? [h.run] : []));
      Promise.all([this.scheduler.touch(jobs), this.ready.heartbeat(runs)]).catch((error: Error) =>
        this.logger.warn("heartbeat failed", { error: error.message }),
      );
    }, (this.options.heartbeatSeconds * 1000) / 3);
    this.#recovery = setInterval(() => {
      this.ready.recoverLapsed(this.options.heartbeatSeconds).then(
        (recovered) => {
          if (recovered === 0) return;
          this.logger.warn("runs of a silent worker made ready again", { runs: recovered });
          this.kick();
        },
        (error: Error) => this.logger.warn("looking for runs of dead workers failed", { error: error.message }),
      );
    }, this.options.recoverySeconds * 1000);
  }

  /** New work may be ready: fetch now instead of waiting for the poll; `jobsDue`: jobs first. */
  kick(jobsDue = false): void {
    if (jobsDue) this.#jobsDue = true;
    else this.#anyDue = true;
    this.#kicked = true;
    this.#wake?.();
  }

  /**
   * Takes up to `count` free slots for runs this process is about to insert executing (LocalStarts,
   * orchestration/insert-run.ts); how many it took. None once stopping.
   */
  reserve(count: number): number {
    if (!this.#running) return 0;
    const taken = Math.max(0, Math.min(count, this.options.concurrency - this.#busy - this.#claiming));
    this.#claiming += taken;
    return taken;
  }

  /**
   * Executes the runs inserted under slots `reserve` took and frees the slots left over. A worker
   * that began stopping meanwhile hands them back instead, for any worker.
   */
  startReserved(reserved: number, rows: ClaimedRow[]): void {
    this.#claiming -= reserved;
    if (!this.#running) {
      for (const row of rows) void this.#handBack({ run: { id: row.id, lease: row.lease! } });
      return;
    }
    this.#startClaimed(rows);
  }

  wakeAt(date: Date): void {
    this.#wakeUps.at(date);
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
    // Drains the executions running now; one claimed after this drains at once (`stopping`).
    this.#running = false;
    for (const execution of this.deps.running.values()) execution.drain();
    this.kick();
    await this.#loop;
    await Promise.all(this.#refills);
    clearInterval(this.#heartbeat);
    clearInterval(this.#recovery);
    this.#wakeUps.clear();
    let timeout: NodeJS.Timeout | undefined;
    const drained = Promise.all([...this.#inFlight.values()].map((f) => f.task)).then(() => true);
    const timedOut = new Promise<false>((resolve) => (timeout = setTimeout(() => resolve(false), this.options.shutdownTimeoutMs)));
    const finished = await Promise.race([drained, timedOut]);
    clearTimeout(timeout);
    if (!finished) {
      const held = [...this.#inFlight.values()].map((f) => f.held);
      this.logger.warn("handing unfinished runs back", { runs: held.length });
      await Promise.all(held.map((h) => ("job" in h ? this.scheduler.giveBack(h.job) : this.ready.giveBack(h.run)).catch(() => undefined)));
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const free = this.options.concurrency - this.#busy - this.#claiming;
      let fetched = 0;
      if (free > 0) {
        this.#kicked = false;
        try {
          const readyAnnounced = this.#anyDue && !this.#backlog;
          const jobsFirst = this.#jobsDue || (!readyAnnounced && Date.now() - this.#jobsFetchedAt >= JOBS_FIRST_AFTER_MS);
          const jobsOnly = this.#jobsDue && !this.#anyDue && !this.#backlog;
          this.#jobsDue = false;
          this.#anyDue = false;
          if (jobsFirst) fetched += await this.#fetchJobs(free);
          if (!jobsOnly) fetched += await this.#claimReady(free - fetched);
          if (!jobsFirst && fetched < free) fetched += await this.#fetchJobs(free - fetched);
        } catch (error) {
          this.logger.warn("fetching runs failed", { error: (error as Error).message });
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

  async #fetchJobs(max: number): Promise<number> {
    if (max <= 0) return 0;
    this.#jobsFetchedAt = Date.now();
    const jobs = await this.scheduler.fetch(max);
    for (const job of jobs) {
      this.#start(job.id, { job: job.id }, job.data.runId, (control) => executeRun(this.deps, job.data, job.retryCount > 0, control));
    }
    return jobs.length;
  }

  /** `alongside`: see BatchedWrites.claimReady. */
  async #claimReady(max: number, alongside?: string): Promise<number> {
    if (max <= 0) return 0;
    this.#claiming += max;
    let rows: ClaimedRow[];
    try {
      rows = await this.deps.writes.claimReady(max, alongside);
    } finally {
      this.#claiming -= max;
    }
    this.#startClaimed(rows);
    return rows.length;
  }

  #startClaimed(rows: ClaimedRow[]): void {
    for (const row of rows) {
      const run = { id: row.id, lease: row.lease! };
      this.#start(`run:${row.id}`, { run }, row.id, (control) => executeClaimed(this.deps, row, run.lease, "start", control));
    }
  }

  #start(key: string, held: Held, runId: string, execute: (control: ExecutionControl) => Promise<JobOutcome>): void {
    this.#busy++;
    this.deps.held?.hold(runId);
    let slotFreed = false;
    const freeSlot = () => {
      if (slotFreed) return;
      slotFreed = true;
      this.#busy--;
      // A freed slot only matters when work is waiting (a full last fetch, or a NOTIFY that
      // came while every slot was busy); new work otherwise announces itself. With ready runs
      // waiting, the slot claims one alongside this run's end, unless jobs are due a look first.
      if (this.#backlog && this.#running && Date.now() - this.#jobsFetchedAt < JOBS_FIRST_AFTER_MS) this.#refill(runId);
      else if (this.#backlog || this.#kicked) this.kick();
    };
    const task = execute({ stopping: () => !this.#running, codeDone: freeSlot })
      .then((outcome) => {
        if (outcome === "give-back") return this.#handBack(held);
        if ("job" in held) return this.scheduler.complete(held.job);
      })
      .catch(async (error: Error) => {
        this.logger.error("run execution failed; handing it back", { runId, error: error.message });
        await this.#handBack(held);
      })
      .finally(() => {
        this.#inFlight.delete(key);
        this.deps.held?.letGo(runId);
        freeSlot();
      });
    this.#inFlight.set(key, { held, task });
  }

  #refill(runId: string): void {
    const refill = this.#claimReady(1, runId).then(
      // No ready run: what is waiting may be jobs (wake-ups, retries), which the loop fetches.
      (claimed) => {
        if (claimed === 0) this.kick();
      },
      (error: Error) => {
        this.logger.warn("claiming a ready run failed", { error: error.message });
        this.kick();
      },
    );
    this.#refills.add(refill);
    void refill.finally(() => this.#refills.delete(refill));
  }

  /**
   * Gives the run back for another execution. A run usually fails over because the database
   * went away, so the first give-back often fails too: try again for a few seconds (Postgres
   * restarts in about one) rather than leave the run until its heartbeat lapses.
   */
  async #handBack(held: Held): Promise<void> {
    for (let delayMs = 250; ; delayMs *= 2) {
      try {
        return await ("job" in held ? this.scheduler.giveBack(held.job) : this.ready.giveBack(held.run));
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
