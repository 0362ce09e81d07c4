import pg from "pg";
import { createHash } from "node:crypto";
import type { Logger } from "../logger.ts";

export type Queryable = pg.Pool | pg.PoolClient;

/** A pool whose statements are prepared once per connection, named after their text. */
export class Database {
  readonly pool: pg.Pool;
  readonly #names = new Map<string, string>();

  constructor(url: string, max: number, logger: Logger) {
    this.pool = new pg.Pool({ connectionString: url, max, application_name: "durably" });
    // An idle client that loses its server (a Postgres restart) must not crash the process;
    // the pool drops it and the next query opens a fresh connection.
    this.pool.on("error", (error) => logger.warn("idle database connection lost", { error: error.message }));
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], on: Queryable = this.pool) {
    return on.query<R>({ name: this.#nameOf(text), text, values });
  }

  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // The pool stops listening for errors on a client it has handed out. A connection lost
    // between two statements (a Postgres restart while a step runs) would then be an unhandled
    // 'error' event that kills the process: keep it here, fail the transaction, drop the client.
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => (broken ??= rollbackError));
      throw error;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  end(): Promise<void> {
    return this.pool.end();
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
