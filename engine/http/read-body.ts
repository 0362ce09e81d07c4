import type { Context } from "hono";
import type { z } from "zod";
import { HttpError, RequestAbortedError } from "./http-errors.ts";
import { parse } from "./bodies.ts";

const MAX_BODY_BYTES = 1024 * 1024;

const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** Invalid UTF-8 is refused, not silently replaced with U+FFFD and stored. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export type BodyReader = <T extends z.ZodType>(c: Context, schema: T) => Promise<z.output<T>>;

/**
 * Reads and parses a JSON body. Handlers call it only once the caller is known to hold the
 * secret key, so an unauthenticated client never makes the server buffer anything; and at most
 * `bodiesInFlight` bodies (up to 1 MB each) are buffered at once, whoever sends them.
 */
export function createBodyReader(limits: { bodiesInFlight: number }): BodyReader {
  let inFlight = 0;
  return async (c, schema) => {
    if (inFlight >= limits.bodiesInFlight) {
      throw new HttpError(503, "BUSY", "Too many request bodies are being received: try again shortly", { "Retry-After": "1" });
    }
    inFlight += 1;
    let text: string;
    try {
      text = await readText(c);
    } finally {
      inFlight -= 1;
    }
    let raw: unknown;
    try {
      raw = text.length === 0 ? {} : JSON.parse(text, refusePrototypeKeys);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, "INVALID_JSON", "The request body is not valid JSON");
    }
    return parse(schema, raw, "body");
  };
}

/**
 * Refused anywhere in a body. Validation rebuilds some objects (metadata) by assignment, where a
 * `__proto__` key would silently set the object's prototype instead of being stored or refused.
 */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (key === "__proto__" || key === "constructor" || key === "prototype") {
    throw new HttpError(400, "INVALID_PAYLOAD", `The body has a key "${key}", which is refused (prototype pollution)`);
  }
  return value;
}

/**
 * Oversized bodies get a 413. The rest of the body is read and dropped first (up to a bound):
 * answering mid-upload resets the connection and the client would never see the error.
 */
async function readText(c: Context): Promise<string> {
  const body = c.req.raw.body;
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) break;
    }
  } catch {
    throw new RequestAbortedError();
  }
  if (size > MAX_BODY_BYTES) throw new HttpError(413, "BODY_TOO_LARGE", `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
  try {
    return strictUtf8.decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, "INVALID_UTF8", "The request body is not valid UTF-8");
  }
}
