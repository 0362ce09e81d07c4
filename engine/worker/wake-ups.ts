/**
 * A worker's own wake-ups: a wait or retry this process scheduled falls due at a known time, so a
 * local timer fetches it then instead of waiting for the next poll. The pg-boss job sent with it
 * (reason "wake" or "retry", see jobs/job-sender.ts) is what survives this process.
 */
export class WakeUps {
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(private readonly wake: () => void) {}

  /** 5 ms after `date`: the job due then must be due when the fetch looks for it. */
  at(date: Date): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.wake();
    }, Math.max(0, date.getTime() - Date.now()) + 5);
    this.#timers.add(timer);
  }

  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
