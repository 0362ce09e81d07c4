export interface RetryOptions {
  /** Total attempts including the first. */
  maxAttempts?: number | undefined;
  factor?: number | undefined;
  minTimeoutInMs?: number | undefined;
  maxTimeoutInMs?: number | undefined;
  randomize?: boolean | undefined;
}

export type ResolvedRetry = { [K in keyof RetryOptions]-?: NonNullable<RetryOptions[K]> };

export const DEFAULT_RETRY: ResolvedRetry = {
  maxAttempts: 3,
  factor: 2,
  minTimeoutInMs: 1_000,
  maxTimeoutInMs: 60_000,
  randomize: true,
};

/** A field given as `undefined` keeps the fallback's value, as a field left out does (a spread would not). */
export function resolveRetry(options: RetryOptions | undefined, fallback: ResolvedRetry = DEFAULT_RETRY): ResolvedRetry {
  return {
    maxAttempts: options?.maxAttempts ?? fallback.maxAttempts,
    factor: options?.factor ?? fallback.factor,
    minTimeoutInMs: options?.minTimeoutInMs ?? fallback.minTimeoutInMs,
    maxTimeoutInMs: options?.maxTimeoutInMs ?? fallback.maxTimeoutInMs,
    randomize: options?.randomize ?? fallback.randomize,
  };
}

/** Delay before attempt `failedAttempt + 1`; jitter spreads retries of many runs failing together. */
export function retryDelayMs(policy: ResolvedRetry, failedAttempt: number): number {
  const base = policy.minTimeoutInMs * policy.factor ** (failedAttempt - 1);
  const jittered = policy.randomize ? base * (1 + Math.random()) : base;
  return Math.min(policy.maxTimeoutInMs, Math.round(jittered));
}
