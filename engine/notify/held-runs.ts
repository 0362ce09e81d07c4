import type { CommittedEnds } from "./committed-ends.ts";

/**
 * Runs this process's worker holds, from the moment it takes one (a claim, a trigger that started
 * it here, a job) until its execution is over. Whatever becomes of a held run reaches the waiters
 * here through `ends`: its end as that commits, and when the worker lets go of it, a notice that
 * says nothing of its status (it may have ended, or gone to wait, retry or another process), on
 * which a waiter reads it. So a `runs.poll` that starts waiting while the run is held here need not
 * read it first: the run cannot end unseen. An end committed elsewhere (a cancel) is heard by its
 * NOTIFY; one heard before the waiter listened wakes it when the worker lets go, and a lease lost to
 * another process while the code runs on is found by the waiters' sweep.
 */
export class HeldRuns {
  readonly #held = new Map<string, number>();

  constructor(private readonly ends: CommittedEnds) {}

  hold(runId: string): void {
    this.#held.set(runId, (this.#held.get(runId) ?? 0) + 1);
  }

  letGo(runId: string): void {
    const count = this.#held.get(runId) ?? 0;
    if (count > 1) this.#held.set(runId, count - 1);
    else this.#held.delete(runId);
    this.ends.publish(runId, {});
  }

  holds(runId: string): boolean {
    return this.#held.has(runId);
  }
}
