import pg from "pg";
import { DurablyError } from "../../sdk/errors.ts";
import { unreachable } from "../db/unreachable.ts";

/** What Node's network errors carry besides a message (which for a refused "localhost" is empty). */
interface SystemError extends Error {
  code?: string;
  address?: string;
  port?: number;
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
  const down = unreachable(error);
  if (down) return describeError(down);
  const e = error as SystemError;
  if (e.code === "EADDRINUSE") return `Cannot listen${e.address ? ` at ${e.address}${e.port ? `:${e.port}` : ""}` : ""}: the address is already in use; choose another --port`;
  return e.message;
}
