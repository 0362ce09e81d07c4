import pg from "pg";
import { createHash } from "node:crypto";
import type { Logger } from "../logger.ts";

export type Queryable = pg.Pool | pg.PoolClient;

export interface DatabaseOptions {
  /**
   * Prepare each statement once per connection, named after its text (the default). Off behind a
   * pooler in transaction mode: consecutive transactions land on different server connections,
   * where a name prepared on one is missing (or, prepared again, "already exists", 42P05) on
   * another, and PgBouncer before 1.21 cannot track them. Unnamed statements are parsed and
   * planned on every call instead, which any pooler passes through.
   */
  namedStatements?: boolean;
  /** Idle connections do not keep Node running (a configured backend in a script that is done). */
  exitOnIdle?: boolean;
}

/** A pool whose statements are prepared once per connection, named after their text (unless pooled). */
export class Database {
  readonly pool: pg.Pool;
  readonly #names = new Map<string, string>();
  readonly #named: boolean;
  #connections = 0;
  #allClosed: (() => void) | undefined;

  constructor(url: string, max: number, logger: Logger, options: DatabaseOptions = {}) {
    this.#named = options.namedStatements ?? true;
    this.pool = new pg.Pool({ connectionString: url, max, application_name: "durably", allowExitOnIdle: options.exitOnIdle ?? false });
    // An idle client that loses its server (a Postgres restart) must not crash the process;
    // the pool drops it and the next query opens a fresh connection.
    this.pool.on("error", (error) => logger.warn("idle database connection lost", { error: error.message }));
    this.pool.on("connect", () => this.#connections++);
    this.pool.on("remove", () => {
      if (--this.#connections === 0) this.#allClosed?.();
    });
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], on: Queryable = this.pool) {
    return on.query<R>(this.#named ? { name: this.#nameOf(text), text, values } : { text, values });
  }

  /**
   * A statement planned for its values on every call, never prepared. For a filter's statements
   * (run lists, counts, bulk selections): how many runs a tag or a metadata value matches decides
   * the plan, and after five calls a prepared statement may switch to a generic plan that cannot
   * know it. At a million runs, the generic plan of a tag on a fifth of them read all 200,000
   * through the tag index for a page of 20 (950 ms); planned for the tag, it walks the newest
   * runs (0.4 ms). Planning costs a fraction of a millisecond.
   */
  queryForValues<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], on: Queryable = this.pool) {
    return on.query<R>({ text, values });
  }

  /**
   * A pooled client for statements of the caller's own, released (discarded if it broke) when `fn`
   * settles. The pool stops listening for errors on a client it has handed out, so a connection
   * lost meanwhile (a Postgres restart) would be an unhandled 'error' event that kills the
   * process: listen here, and let `fn` discard a client it left in an unknown state.
   */
  async withClient<T>(fn: (client: pg.PoolClient, discard: (error: Error) => void) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const discard = (error: Error) => (broken ??= error);
    client.on("error", discard);
    try {
      return await fn(client, discard);
    } finally {
      client.off("error", discard);
      client.release(broken);
    }
  }

  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client, discard) => {
      await client.query("BEGIN");
      try {
        const result = await fn(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(discard);
        throw error;
      }
    });
  }

  /**
   * Resolves once every connection has closed. The pool's own end() resolves as soon as it has
   * asked them to: a server stopped right after (the embedded one, when `durably start` exits)
   * would cut them off mid-goodbye, and they would report a lost connection.
   */
  async end(): Promise<void> {
    const allClosed = new Promise<void>((resolve) => (this.#allClosed = resolve));
    // Idle connections of an `exitOnIdle` pool no longer keep Node running: this wait must, or the
    // process would end before their goodbyes (and before whatever the caller does next).
    const holdProcess = setInterval(() => undefined, 1_000);
    try {
      await this.pool.end();
      if (this.#connections > 0) await allClosed;
    } finally {
      clearInterval(holdProcess);
    }
  }

  #nameOf(text: string): string {
    let name = this.#names.get(text);
    if (!name) {
      name = "d_" + createHash("sha1").update(text).digest("hex").slice(0, 20);
      this.#names.set(text, name);
    }
    return name;
  }
}
