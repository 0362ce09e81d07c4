import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import { runChangesPayload, type Channels } from "../notify/listener.ts";

/** Runs a notification names at most (NOTIFY payloads stay under Postgres's 8000 bytes). */
const PER_NOTIFICATION = 100;

/**
 * How long an announcement that wakes no worker may wait for others to go with it. The runs it
 * names execute already, in the process that triggered them; only live views hear of them, a few
 * milliseconds later, and a caller triggering one run after another pays one statement per
 * window instead of one per trigger.
 */
const GATHER_MS = 5;

/**
 * Tells live views about runs already committed and, when some wait for a worker, wakes the
 * workers, without making the trigger wait for Postgres's notify lock (see `runs.insertReady`).
 * Announcements made while one is in flight or gathering go together in one statement; one that
 * wakes workers goes at once. A lost announcement (the process stopping, the connection failing)
 * costs a worker's fallback poll, never a run.
 */
export class RunAnnouncements {
  /** Run id → the revision it was committed at. */
  #pending = new Map<string, number>();
  #wake = false;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(private readonly db: Database, private readonly sql: Statements, private readonly channels: Pick<Channels, "run" | "wake">) {}

  /** `wake`: some of the runs wait for any worker's claim. */
  announce(runs: { id: string; revision: string }[], wake: boolean): void {
    for (const run of runs) this.#pending.set(run.id, Number(run.revision));
    this.#wake ||= wake;
    if (wake || this.#pending.size >= PER_NOTIFICATION) this.#flushSoon(0);
    else this.#flushSoon(GATHER_MS);
  }

  /**
   * A statement of this process committed a change to the run and notified it (a journal write
   * of its execution here): live views have heard of it, so a pending announcement of it is
   * dropped. A run's first step usually commits within the window, so a caller triggering and
   * awaiting one run at a time has no announcement contending with its run's commits for the
   * notify lock. One that wakes workers goes whole.
   */
  notified(runId: string): void {
    if (!this.#wake) this.#pending.delete(runId);
  }

  #flushSoon(ms: number): void {
    if (this.#inFlight) return;
    if (this.#timer && ms > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), ms);
    // Waiting to announce keeps no process alive.
    this.#timer.unref();
  }

  #flush(): void {
    this.#timer = undefined;
    const runs = [...this.#pending].map(([runId, revision]) => ({ runId, revision }));
    const wake = this.#wake;
    this.#pending = new Map();
    this.#wake = false;
    if (runs.length === 0) return;
    const payloads: string[] = [];
    for (let i = 0; i < runs.length; i += PER_NOTIFICATION) payloads.push(runChangesPayload(runs.slice(i, i + PER_NOTIFICATION)));
    this.#inFlight = this.db.query(this.sql.runs.announceRuns, [this.channels.run, payloads, this.channels.wake, wake]).then(
      () => undefined,
      () => undefined,
    );
    void this.#inFlight.then(() => {
      this.#inFlight = undefined;
      // What came meanwhile goes now: it has waited for this statement already.
      if (this.#pending.size > 0) this.#flushSoon(0);
    });
  }
}
