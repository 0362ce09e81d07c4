import type { TransactionClient } from "../../sdk/context.ts";
import { InvalidPayloadError, TimeoutError } from "../../sdk/errors.ts";
import { parseDelay } from "../delay.ts";

/** A step's `timeout`: seconds, or a duration such as "500ms" / "30s" / "5m". */
export function stepTimeoutMs(timeout: number | string | undefined): number | undefined {
  if (timeout === undefined) return undefined;
  const ms = typeof timeout === "number" || typeof timeout === "string" ? parseDelay(timeout, 0)?.getTime() : undefined;
  if (ms === undefined || !(ms > 0) || ms > 2 ** 31 - 1) {
    throw new InvalidPayloadError(`A step's timeout must be positive seconds or a duration like "30s", got ${String(timeout)}`);
  }
  return ms;
}

/**
 * Runs one attempt of a step with `controller`'s signal. Past `timeoutMs` the attempt fails with a
 * TimeoutError and the signal is aborted with it: JavaScript cannot stop the step's code, so the
 * code is told and no longer awaited, and whatever it returns later is dropped.
 */
export function attemptStep<T>(
  key: string, controller: AbortController, timeoutMs: number | undefined, run: (signal: AbortSignal) => Promise<T> | T,
): Promise<T> {
  const work = Promise.resolve().then(() => run(controller.signal));
  // Not an async function: without a timeout the attempt is `work` itself, with no promise around it.
  return timeoutMs === undefined ? work : raceTimeout(key, controller, timeoutMs, work);
}

async function raceTimeout<T>(key: string, controller: AbortController, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TimeoutError(`Step "${key}" timed out after ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The transaction as a timed-out step's code sees it: once the signal is aborted, its queries fail
 * instead of reaching a connection that has rolled back and gone back to the pool.
 */
export function fencedTransaction(tx: TransactionClient, signal: AbortSignal): TransactionClient {
  return {
    query: (text, values) => (signal.aborted ? Promise.reject(signal.reason as Error) : tx.query(text, values)),
  };
}
