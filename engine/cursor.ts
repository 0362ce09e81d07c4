import { InvalidPayloadError } from "../sdk/errors.ts";
import type { RunListCursor } from "./db/sql/run-list.ts";

/**
 * Keyset pagination over runs newest first: the last run's created_at (microseconds, as
 * PostgreSQL keeps it: a millisecond Date would skip runs created in the same millisecond) and
 * id (22 characters after the prefix, or 26 for ids made before ids.ts shortened them); opaque to
 * callers.
 */
export function encodeCursor(cursor: RunListCursor): string {
  return Buffer.from(`${cursor.createdUs}:${cursor.id}`).toString("base64url");
}

export function decodeCursor(cursor: string): RunListCursor {
  const match = /^(-?\d{1,19}):(run_[0-9a-z]{22}(?:[0-9a-z]{4})?)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw new InvalidPayloadError("Invalid cursor");
  return { createdUs: match[1]!, id: match[2]! };
}
