import { DatabaseUnreachableError } from "../../sdk/errors.ts";

/** What Node's network errors carry besides a message (which for a refused "localhost" is empty). */
interface SystemError extends Error {
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

const TIMED_OUT = new Set(["ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * A network failure to reach PostgreSQL as one line naming the problem, or undefined for any other
 * error. pg-pool's own error says only `ECONNREFUSED` under a stack of its internals; a person
 * reading a log or a terminal wants where it tried and what to check. `url` names the server when
 * the error does not (a refused "localhost" is an AggregateError over ::1 and 127.0.0.1); its user
 * and password are never shown.
 */
export function unreachable(error: unknown, url?: string): DatabaseUnreachableError | undefined {
  if (!(error instanceof Error)) return undefined;
  const first = (error instanceof AggregateError ? error.errors[0] : error) as SystemError | undefined;
  const code = (error as SystemError).code ?? first?.code;
  if (!code) return undefined;
  const where = first?.address ? `${first.address}${first.port ? `:${first.port}` : ""}` : hostOf(url);
  const at = where ? ` at ${where}` : "";
  if (code === "ECONNREFUSED") {
    return new DatabaseUnreachableError(`Cannot connect to PostgreSQL${at}: connection refused. Is it running, and is DATABASE_URL right?`, { cause: error });
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    const host = first?.hostname ?? hostOf(url, "hostname");
    return new DatabaseUnreachableError(`Cannot connect to PostgreSQL: host "${host}" not found. Is DATABASE_URL right?`, { cause: error });
  }
  if (TIMED_OUT.has(code)) {
    return new DatabaseUnreachableError(`Cannot connect to PostgreSQL${at}: no answer (${code}). Is it running, and is DATABASE_URL right?`, { cause: error });
  }
  return undefined;
}

/** Rethrows a network failure as `unreachable` says it, anything else as it is. */
export function rethrowUnreachable(url: string): (error: unknown) => never {
  return (error) => {
    throw unreachable(error, url) ?? error;
  };
}

/** The server a URL names (host:port, or the host alone), never its user or password; "" when there is none. */
export function hostOf(url: string | undefined, part: "host" | "hostname" = "host"): string {
  try {
    return url ? new URL(url)[part] : "";
  } catch {
    return "";
  }
}
