/**
 * A value as a public token may see it: errors keep their name, message and code, but lose their
 * stack and the call site of a non-determinism error, which name files on the server. Applied to
 * everything a public token reads (errors nest in journal outputs: a child run's failure).
 */
export function withoutServerDetails<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) => (isErrorLike(v) ? redact(v) : v)) as T;
}

type ErrorLike = { name: string; message: string; stack?: unknown; details?: unknown };

function isErrorLike(value: unknown): value is ErrorLike {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { name, message } = value as Record<string, unknown>;
  return typeof name === "string" && typeof message === "string";
}

function redact({ stack: _stack, ...error }: ErrorLike): ErrorLike {
  const details = error.details as Record<string, unknown> | undefined;
  if (typeof details?.callSite !== "string") return error;
  const { callSite, ...rest } = details;
  return { ...error, message: error.message.replace(` at ${callSite}`, ""), details: rest };
}
