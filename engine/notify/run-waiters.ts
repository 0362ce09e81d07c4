import type { Run } from "../../sdk/types.ts";
import type { CommittedEnds } from "./committed-ends.ts";
import type { Listener } from "./listener.ts";

/** How often the runs still waited for are looked up, in case the notification of an end was lost. */
const SWEEP_MS = 5_000;

/**
 * Callers waiting for runs to finish (`runs.poll`), woken by the notification that says a run
 * ended (`Listener.onRun`). A notification can be lost (the LISTEN connection reconnecting, or not
 * yet listening on the channel), so every waiter is woken after a reconnect, and one sweep looks
 * up all the runs still waited for together: a timer per waiter made 10,000 waiters read 2,000
 * runs a second, whether anything changed or not. A run this process ends (`ends`) wakes its
 * waiters here as its end commits, without waiting for the notification to come back, and hands
 * them the finished run when its end returned it.
 */
export class RunWaiters {
  readonly #wakes = new Map<string, Set<(run?: Run) => void>>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly listener: Listener,
    private readonly channel: string,
    /** Which of these runs have finished. */
    private readonly finished: (runIds: string[]) => Promise<string[]>,
    private readonly sweepMs = SWEEP_MS,
    private readonly ends?: CommittedEnds,
  ) {
    listener.onReconnect(() => {
      for (const wakes of this.#wakes.values()) for (const wake of wakes) wake();
    });
  }

  /**
   * `woken` resolves when the run may have finished, with the finished run when its end in this
   * process handed it over (no read needed); `stop` before waiting again or giving up.
   */
  wait(runId: string): { woken: Promise<Run | undefined>; stop: () => void } {
    let wake: (run?: Run) => void = () => undefined;
    const woken = new Promise<Run | undefined>((resolve) => (wake = resolve));
    // An end heard while this process's statement of it is under way waits for it to hand over the run.
    const heard = () => (this.ends ? this.ends.afterWrites(runId, () => wake()) : wake());
    const offHeard = this.listener.onRun(this.channel, runId, (change) => change.finished && heard());
    const offEnded = this.ends?.subscribe(runId, (end) => wake(end.run));
    const off = () => {
      offHeard();
      offEnded?.();
    };
    const wakes = this.#wakes.get(runId) ?? new Set<(run?: Run) => void>();
    this.#wakes.set(runId, wakes);
    wakes.add(wake);
    this.#sweep ??= setInterval(() => void this.#lookUp(), this.sweepMs).unref();
    const stop = () => {
      off();
      wakes.delete(wake);
      if (wakes.size === 0 && this.#wakes.get(runId) === wakes) this.#wakes.delete(runId);
      if (this.#wakes.size === 0) {
        clearInterval(this.#sweep);
        this.#sweep = undefined;
      }
    };
    return { woken, stop };
  }

  async #lookUp(): Promise<void> {
    const ids = [...this.#wakes.keys()];
    if (ids.length === 0) return;
    // A failed look-up (the database unreachable) is tried again at the next sweep.
    const finished = await this.finished(ids).catch(() => []);
    for (const id of finished) for (const wake of this.#wakes.get(id) ?? []) wake();
  }
}
