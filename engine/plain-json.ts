// PostgreSQL's jsonb refuses NUL and unpaired UTF-16 surrogates; serialize.ts says which it met.
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);
/** serialize.ts refuses deeper values; past this the careful path decides. */
const MAX_DEPTH = 64;

/** What `plainCopy` returns for a value it leaves to superjson (and copy-anything). */
export const NOT_PLAIN: unique symbol = Symbol("not plain JSON");

/**
 * Which plain values a copy takes. `store`: what superjson serializes with no annotation but
 * `undefined` under a key (an optional field left out), and jsonb accepts: objects of null
 * prototype too, text checked. `read`: what copy-anything copies: objects of Object.prototype
 * only, no undefined, text as it came.
 */
type Mode = "store" | "read";

/** superjson's annotations of a value's undefined fields: escaped key paths joined by dots, built level by level as its walker does. */
export type UndefinedFields = Record<string, ["undefined"]>;

interface Walk {
  mode: Mode;
  seen: Set<object>;
  /** The annotations of the object copied last, if any of its fields was undefined. */
  inner: UndefinedFields | undefined;
}

/**
 * A fresh copy of `value` if it is plain JSON: null, booleans, strings, finite numbers other
 * than -0, arrays without holes and plain objects (see Mode), none met twice (superjson records
 * shared references). Anything else — Dates, Maps, class instances, NaN, an undefined value
 * itself — is NOT_PLAIN, and the caller takes the general path, superjson's or copy-anything's.
 * The copy has its keys in the order theirs would, so it is the same value and the same JSON
 * text; on the hot path (a step's number, a status, a payload) it costs one walk instead of
 * superjson's. A field left undefined is null in the copy, as in superjson's, and `found.undefined`
 * gets superjson's annotations of them.
 */
export function plainCopy(value: unknown, mode: Mode, found?: { undefined?: UndefinedFields }): unknown {
  if (typeof value !== "object" || value === null) return plainLeaf(value, mode) ? value : NOT_PLAIN;
  const walk: Walk = { mode, seen: new Set(), inner: undefined };
  const copy = copyObject(value, walk, 0);
  if (found && walk.inner) found.undefined = walk.inner;
  return copy;
}

function plainLeaf(value: unknown, mode: Mode): boolean {
  switch (typeof value) {
    case "string":
      return mode === "read" || !UNSTORABLE_TEXT.test(value);
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "boolean":
      return true;
    default:
      return value === null;
  }
}

function copyObject(value: object, walk: Walk, depth: number): unknown {
  if (walk.seen.has(value)) return NOT_PLAIN;
  walk.seen.add(value);
  let inner: UndefinedFields | undefined;
  let copy: unknown[] | Record<string, unknown>;
  if (Array.isArray(value)) {
    copy = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return NOT_PLAIN;
      const item = copyItem(value[i], walk, depth);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      copy[i] = item;
      if (walk.inner) inner = annotate(inner, String(i), walk);
    }
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && !(walk.mode === "store" && proto === null && value !== Object.prototype)) return NOT_PLAIN;
    if (Object.prototype.toString.call(value) !== "[object Object]" || Object.getOwnPropertySymbols(value).length > 0) return NOT_PLAIN;
    copy = {};
    for (const key of Object.keys(value)) {
      if (PROTOTYPE_KEYS.has(key) || (walk.mode === "store" && UNSTORABLE_TEXT.test(key))) return NOT_PLAIN;
      const item = copyItem((value as Record<string, unknown>)[key], walk, depth);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      copy[key] = item;
      if (walk.inner) inner = annotate(inner, key, walk);
    }
  }
  walk.inner = inner;
  return copy;
}

/** A field's value copied; `walk.inner` says what of it was undefined (all of it: `UNDEFINED_ITSELF`). */
function copyItem(item: unknown, walk: Walk, depth: number): unknown {
  walk.inner = undefined;
  // serialize.ts counts a leaf's depth too: a string 65 levels down is refused like an object there.
  if (depth + 1 > MAX_DEPTH) return NOT_PLAIN;
  if (item === undefined && walk.mode === "store") {
    walk.inner = UNDEFINED_ITSELF;
    return null;
  }
  if (typeof item !== "object" || item === null) return plainLeaf(item, walk.mode) ? item : NOT_PLAIN;
  return copyObject(item, walk, depth + 1);
}

const UNDEFINED_ITSELF: UndefinedFields = {};

/** The field's annotations added to its object's, as superjson's walker adds them (its object's keys come first). */
function annotate(inner: UndefinedFields | undefined, key: string, walk: Walk): UndefinedFields {
  const into = inner ?? {};
  const escaped = escapeKey(key);
  if (walk.inner === UNDEFINED_ITSELF) into[escaped] = ["undefined"];
  else for (const [path, tree] of Object.entries(walk.inner!)) into[`${escaped}.${path}`] = tree;
  walk.inner = undefined;
  return into;
}

/** superjson's escaping of a key in a path. */
function escapeKey(key: string): string {
  return key.replace(/\\/g, "\\\\").replace(/\./g, "\\.");
}
