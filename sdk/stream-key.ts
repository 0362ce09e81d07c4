import { InvalidPayloadError } from "./errors.ts";

const KEY = /^[A-Za-z0-9_.:-]{1,100}$/;

/** A stream key is a path segment of the HTTP API: letters, digits and `_ . : -`, at most 100. */
export function checkStreamKey(key: unknown): string {
  if (typeof key !== "string" || !KEY.test(key)) {
    throw new InvalidPayloadError(`A stream key is 1 to 100 letters, digits or "_ . : -"; got ${JSON.stringify(key)}`);
  }
  return key;
}
