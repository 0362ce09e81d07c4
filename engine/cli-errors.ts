import pg from "pg";
import { DurablyError } from "../sdk/errors.ts";

/** What Node's network errors carry besides a message (which for a refused "localhost" is empty). */
interface SystemError extends Error {
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/**
 * The one line the CLI prints for an error, naming the problem: a person at a terminal reads it,
 * and a stack trace of pg-pool's internals says nothing to them (`--verbose` prints it).
 */
export function describeError(error: unknown): string {
  if (error instanceof DurablyError) return `${error.code}: ${error.message}`;
  // The server's own words: database "x" does not exist, password authentication failed, …
  if (error instanceof pg.DatabaseError) return `PostgreSQL: ${error.message}`;
  if (!(error instanceof Error)) return String(error);
  const e = error as SystemError;
  const at = e.address ? ` at ${e.address}${e.port ? `:${e.port}` : ""}` : "";
  switch (e.code) {
    case "ECONNREFUSED":
      return `Cannot connect to PostgreSQL${at}: connection refused. Is it running, and is DATABASE_URL right?`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `Cannot connect to PostgreSQL: host "${e.hostname}" not found. Is DATABASE_URL right?`;
    case "EADDRINUSE":
      return `Cannot listen${at}: the address is already in use; choose another --port`;
  }
  return e.message;
}
