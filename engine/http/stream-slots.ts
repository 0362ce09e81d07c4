import type { Access } from "../auth/access.ts";
import { HttpError } from "./http-errors.ts";

/** What an open SSE stream holds: its place under the caps, and when its token runs out. */
export interface StreamLease {
  /** Epoch ms at which the stream is closed: its token expires then. */
  expiresAt: number | undefined;
  /** Gives the place back; called once when the stream ends, however it ends. */
  release(): void;
}

/**
 * Caps on open SSE streams, each of which holds a connection, a file descriptor and buffers:
 * in total, and per public token (a browser token is a credential anyone holding the page may
 * copy). The secret key and stream tokens, which it mints, count only in the total.
 */
export class StreamSlots {
  #open = 0;
  readonly #perToken = new Map<string, number>();

  /** `gauge`, if given, follows how many streams are open. */
  constructor(
    private readonly limits: { streams: number; streamsPerToken: number },
    private readonly gauge?: { inc(): void; dec(): void },
  ) {}

  open(access: Access): StreamLease {
    const token = access.kind === "public" ? access.tokenId : undefined;
    if (this.#open >= this.limits.streams) throw tooMany(`This server has ${this.limits.streams} streams open, its limit`);
    const mine = token === undefined ? 0 : (this.#perToken.get(token) ?? 0);
    if (token !== undefined && mine >= this.limits.streamsPerToken) {
      throw tooMany(`This token has ${this.limits.streamsPerToken} streams open, its limit: close one first`);
    }
    this.#open += 1;
    this.gauge?.inc();
    if (token !== undefined) this.#perToken.set(token, mine + 1);
    let released = false;
    return {
      expiresAt: access.expiresAt,
      release: () => {
        if (released) return;
        released = true;
        this.#open -= 1;
        this.gauge?.dec();
        if (token === undefined) return;
        const left = this.#perToken.get(token)! - 1;
        if (left === 0) this.#perToken.delete(token);
        else this.#perToken.set(token, left);
      },
    };
  }
}

const tooMany = (message: string) => new HttpError(429, "TOO_MANY_STREAMS", message, { "Retry-After": "5" });
