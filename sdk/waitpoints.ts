import { getBackend, getRunBackend } from "./backend.ts";
import { currentScope, requireScope } from "./context.ts";
import { InvalidPayloadError, WaitpointTimeoutError } from "./errors.ts";

export {
  WAITPOINT_STATUSES,
  type CreateWaitTokenOptions,
  type ListWaitTokensFilter,
  type WaitpointList,
  type WaitpointRecord,
  type WaitpointStatus,
  type WaitToken,
  type WaitTokenOutcome,
} from "./types.ts";
import type { CreateWaitTokenOptions, ListWaitTokensFilter, WaitpointList, WaitpointRecord, WaitToken, WaitTokenOutcome } from "./types.ts";

export type WaitTokenResult<T> = ({ ok: true; output: T } | { ok: false; error: WaitpointTimeoutError }) & {
  /** The output, or throws `WaitpointTimeoutError` when the token timed out. */
  unwrap(): T;
};

/** Inside a run: the engine executing it (see getRunBackend); elsewhere the configured backend. */
const backendHere = () => (currentScope() ? getRunBackend() : getBackend());

const idOf = (token: string | { id: string }): string => {
  const id = typeof token === "string" ? token : token?.id;
  if (typeof id !== "string" || id.length === 0) throw new InvalidPayloadError("A waitpoint token is its id (waitpoint_…) or an object with that id");
  return id;
};

function resultOf<T>(id: string, outcome: WaitTokenOutcome): WaitTokenResult<T> {
  if (outcome.ok) {
    const output = outcome.output as T;
    return { ok: true, output, unwrap: () => output };
  }
  const error = new WaitpointTimeoutError(id);
  return {
    ok: false,
    error,
    unwrap: () => {
      throw error;
    },
  };
}

/**
 * Waitpoint tokens (Trigger.dev v4's API): a run waits on a token until something outside
 * completes it. Spread into `wait` (wait.ts).
 */
export const waitpointFunctions = {
  /**
   * Inside a run the creation is journaled: a replay returns the same token, never a second one.
   * From backend code it is an ordinary call.
   */
  async createToken(options: CreateWaitTokenOptions = {}): Promise<WaitToken> {
    const scope = currentScope();
    if (!scope) return (await getBackend()).createWaitToken(options);
    const backend = await getRunBackend();
    let created: WaitToken | undefined;
    const recorded = await scope.journaled("waitpoint", "createToken", async (seq) => {
      // Keyed by the call's place in the run when the caller gave no key: an execution that died
      // between creating the token and journaling it finds the same token on its next attempt.
      created = await backend.createWaitToken({ ...options, idempotencyKey: options.idempotencyKey ?? `${scope.ctx.run.id}:${seq}` });
      // The URL and the browser token are secrets, kept out of the journal (public tokens read it).
      return { id: created.id, isCached: created.isCached };
    });
    return created ?? { ...(await backend.accessWaitToken(recorded.id)), isCached: recorded.isCached };
  },

  /**
   * Suspends the run until the token is completed or times out; the run holds no worker slot
   * meanwhile. The outcome is journaled: a replay returns it without waiting again.
   */
  async forToken<T = unknown>(token: string | { id: string }): Promise<WaitTokenResult<T>> {
    const id = idOf(token);
    return resultOf<T>(id, await requireScope("wait.forToken").awaitToken(id));
  },

  /** The first completion wins; a later one throws `WaitpointCompletedError` and changes nothing. */
  async completeToken<T = unknown>(token: string | { id: string }, output: T): Promise<{ success: true }> {
    const id = idOf(token);
    const scope = currentScope();
    const complete = async () => {
      await (await backendHere()).completeWaitToken(id, output);
      return { success: true as const };
    };
    // Inside a run the completion is journaled, so a replay does not complete the token again.
    return scope ? scope.journaled("waitpoint", `completeToken:${id}`, complete) : complete();
  },

  async retrieveToken(token: string | { id: string }): Promise<WaitpointRecord> {
    return (await backendHere()).retrieveWaitToken(idOf(token));
  },

  async listTokens(filter: ListWaitTokensFilter = {}): Promise<WaitpointList> {
    return (await backendHere()).listWaitTokens(filter);
  },
};
