import pg from "pg";

/** A statement as node-postgres was asked to send it, and the `application_name` of the connection. */
export interface TappedQuery {
  app: string | undefined;
  name: string | undefined;
  text: string | undefined;
  values: unknown[] | undefined;
}

/**
 * Calls `onQuery` for every statement any node-postgres client in this process sends, until the
 * returned function is called. Bench-only: it patches `Client.prototype.query`, which the engine's
 * pools and pg-boss share.
 */
export function tapQueries(onQuery: (query: TappedQuery) => void): () => void {
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as { name?: string; text?: string; values?: unknown[] } | string | undefined;
    const app = (this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters.application_name;
    if (typeof config === "string") onQuery({ app, name: undefined, text: config, values: args[1] as unknown[] | undefined });
    else onQuery({ app, name: config?.name, text: config?.text, values: config?.values });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  return () => {
    pg.Client.prototype.query = original;
  };
}
