import superjson from "superjson";
import { InvalidPayloadError, MetadataTooLargeError } from "../sdk/errors.ts";
import type { Metadata, SerializedError } from "../sdk/types.ts";
import { NOT_PLAIN, plainCopy, type UndefinedFields } from "./plain-json.ts";

// PostgreSQL's jsonb refuses unpaired UTF-16 surrogates; catching them here gives a clear error.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type Stored = { json: unknown; meta?: unknown };

/**
 * Keys that can reach an object's prototype. superjson refuses them too, but only when the value
 * is stored: a payload got a 500, and metadata was accepted and failed its run later.
 */
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

function findUnserializable(value: unknown, path: string, seen: Set<object>, depth: number): string | null {
  if (depth > 64) return `${path} is nested more than 64 levels deep`;
  const t = typeof value;
  if (t === "function" || t === "symbol") return `${path} is a ${t}`;
  if (t === "string") {
    if ((value as string).includes("\u0000")) return `${path} contains a NUL character`;
    return LONE_SURROGATE.test(value as string) ? `${path} is not valid Unicode (a lone surrogate)` : null;
  }
  if (t !== "object" || value === null) return null;
  if (seen.has(value as object)) return `${path} is a circular reference`;
  seen.add(value as object);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
  for (const [k, v] of entries) {
    if (typeof k === "string" && LONE_SURROGATE.test(k)) return `a key in ${path} is not valid Unicode (a lone surrogate)`;
    if (!(value instanceof Map) && PROTOTYPE_KEYS.has(k as string)) return `${path} has a key "${String(k)}", which is refused (prototype pollution)`;
    const problem = findUnserializable(v, `${path}.${String(k)}`, seen, depth + 1);
    if (problem) return problem;
  }
  seen.delete(value as object);
  return null;
}

/** superjson keeps Dates, Maps, Sets, BigInts and undefined exact across replay. */
export function encode(value: unknown, what: string, maxBytes = Infinity): Stored {
  const stored = encodePlain(value) ?? encodeAny(value, what);
  if (maxBytes !== Infinity) {
    const size = Buffer.byteLength(JSON.stringify(stored));
    if (size > maxBytes) throw new InvalidPayloadError(`${what} is ${size} bytes, over the limit of ${maxBytes} bytes`);
  }
  return stored;
}

/**
 * Plain JSON is stored as superjson stores it, without its walk: `{ json }` with a copy, and the
 * annotation superjson gives a field left undefined.
 */
function encodePlain(value: unknown): Stored | undefined {
  const found: { undefined?: UndefinedFields } = {};
  const json = plainCopy(value, "store", found);
  if (json === NOT_PLAIN) return undefined;
  return found.undefined ? { json, meta: { values: found.undefined, v: 1 } } : { json };
}

function encodeAny(value: unknown, what: string): Stored {
  const problem = findUnserializable(value, what, new Set(), 0);
  if (problem) throw new InvalidPayloadError(`Cannot store ${what}: ${problem}`);
  return superjson.serialize(value) as Stored;
}

export function decode<T = unknown>(stored: unknown): T | undefined {
  if (stored === null || stored === undefined) return undefined;
  // Without annotations superjson's deserialize is copy-anything's copy of the JSON: the same copy, made faster when plain.
  if ((stored as Stored).meta === undefined) {
    const plain = plainCopy((stored as Stored).json, "read");
    if (plain !== NOT_PLAIN) return plain as T;
  }
  return superjson.deserialize(stored as Parameters<typeof superjson.deserialize>[0]) as T;
}

/** Metadata is plain JSON, capped in UTF-8 bytes of its JSON text. */
export function checkMetadata(metadata: Metadata, limit: number): Metadata {
  // Plain JSON's copy is what the round trip through its text below would make.
  const found: { undefined?: UndefinedFields } = {};
  const plain = plainCopy(metadata, "store", found);
  if (plain !== NOT_PLAIN && !found.undefined) {
    const size = Buffer.byteLength(JSON.stringify(plain), "utf8");
    if (size > limit) throw new MetadataTooLargeError(size, limit);
    return plain as Metadata;
  }
  const problem = findUnserializable(metadata, "metadata", new Set(), 0);
  if (problem) throw new InvalidPayloadError(`Invalid metadata: ${problem}`);
  let text: string;
  try {
    text = JSON.stringify(metadata);
  } catch (error) {
    throw new InvalidPayloadError(`Metadata is not JSON-serialisable: ${(error as Error).message}`, undefined, { cause: error });
  }
  const size = Buffer.byteLength(text, "utf8");
  if (size > limit) throw new MetadataTooLargeError(size, limit);
  return JSON.parse(text) as Metadata;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(error.stack ? { stack: error.stack } : {}),
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  return { name: "Error", message: typeof error === "string" ? error : JSON.stringify(error) ?? String(error) };
}

export function reviveError(stored: SerializedError): Error {
  const error = new Error(stored.message);
  error.name = stored.name;
  if (stored.stack) error.stack = stored.stack;
  return error;
}
