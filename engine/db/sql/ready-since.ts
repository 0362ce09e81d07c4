/**
 * When a run became ready, less its priority in seconds: claims take the oldest first, so a run
 * of priority p goes ahead of runs that became ready up to p seconds before it (Trigger.dev's
 * time offset), and equal priorities keep their order.
 */
export const readySince = (priority: string) => `now() - make_interval(secs => ${priority})`;

/**
 * The same for a run of a queue with a concurrency limit or a rate limit (claimed through its job,
 * see ./queues.ts): `queue_ready_at` is set when it was triggered ready or its job fell due, and a
 * run that just became ready ranks from now.
 */
export const queueReadySince = (r: string) => `coalesce(${r}.queue_ready_at, ${readySince(`${r}.priority`)})`;

/** `queue_ready_at` of a new run: ready now if it is in a limited queue and not delayed. */
export const queueReadyAt = (delayed: string, q: string, priority: string) =>
  `CASE WHEN NOT ${delayed} AND (${q}.concurrency_limit IS NOT NULL OR ${q}.rate_limit IS NOT NULL) THEN ${readySince(priority)} END`;
