/**
 * When a run became ready, less its priority in seconds: claims take the oldest first, so a run
 * of priority p goes ahead of runs that became ready up to p seconds before it (Trigger.dev's
 * time offset), and equal priorities keep their order.
 */
export const readySince = (priority: string) => `now() - make_interval(secs => ${priority})`;
