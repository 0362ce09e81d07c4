import { invalidStreamKeyMessage, isStreamKey } from "../wire/index.ts";
import { InvalidPayloadError } from "./errors.ts";

/** A stream key is a path segment of the HTTP API (the rule: wire's `isStreamKey`). */
export function checkStreamKey(key: unknown): string {
  if (!isStreamKey(key)) throw new InvalidPayloadError(invalidStreamKeyMessage(key));
  return key;
}
