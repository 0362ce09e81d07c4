export interface RetryOptions {
  /** Total attempts including the first. */
  maxAttempts?: number;
  factor?: number;
  minTimeoutInMs?: number;
  maxTimeoutInMs?: number;
  randomize?: boolean;
}

export type ResolvedRetry = Required<RetryOptions>;

export const DEFAULT_RETRY: ResolvedRetry = {
  maxAttempts: 3,
  factor: 2,
  minTimeoutInMs: 1_000,
  maxTimeoutInMs: 60_000,
  randomize: true,
};

export function resolveRetry(options: RetryOptions | undefined, fallback: ResolvedRetry = DEFAULT_RETRY): ResolvedRetry {
  return { ...fallback, ...options };
}

/** Delay before attempt `failedAttempt + 1`; jitter spreads retries of many runs failing together. */
export function retryDelayMs(policy: ResolvedRetry, failedAttempt: number): number {
  const base = policy.minTimeoutInMs * policy.factor ** (failedAttempt - 1);
  const jittered = policy.randomize ? base * (1 + Math.random()) : base;
  return Math.min(policy.maxTimeoutInMs, Math.round(jittered));
}
