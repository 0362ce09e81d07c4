import { InvalidPayloadError } from "../sdk/errors.ts";

/** Keyset pagination over run ids, which sort by creation time; opaque to callers. */
export function encodeCursor(id: string): string {
  return Buffer.from(id).toString("base64url");
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^run_[0-9a-z]{26}$/.test(id)) throw new InvalidPayloadError("Invalid cursor");
  return id;
}
