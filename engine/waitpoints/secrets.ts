import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * The secret in a token's callback URL: an HMAC of its id under the deployment's key, so the URL
 * can be given again (a replayed `createToken`, an idempotent create) while the database keeps
 * only its hash. In dev mode, which has no key and answers only this machine, the schema stands in.
 */
export function callbackSecret(key: string, waitpointId: string): string {
  return createHmac("sha256", key).update(waitpointId).digest("base64url");
}

export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

/** Compared as digests of equal length, so the time taken says nothing about the stored hash. */
export function secretMatches(secret: string, storedHash: Buffer): boolean {
  return storedHash.length === 32 && timingSafeEqual(hashSecret(secret), storedHash);
}
