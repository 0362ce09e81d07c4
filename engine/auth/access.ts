import { createHash, timingSafeEqual } from "node:crypto";
import { ForbiddenError, UnauthorizedError, verifyToken, type TokenScopes, type TokenSigner, type TriggerGrant } from "./tokens.ts";

/**
 * Who is calling: a backend with the secret key (or anyone, in open dev mode), or a scoped
 * browser token. `expiresAt` (ms) ends streams opened with a token when the token expires;
 * `tokenId` counts a public token's streams.
 */
export type Access =
  | { kind: "full"; expiresAt?: number }
  | { kind: "public"; scopes: TokenScopes; expiresAt: number; tokenId: string; trigger?: TriggerGrant };

/** A credential and where it came from: `?token=` in a URL is accepted on stream routes only. */
export interface Credential {
  value: string;
  inUrl: boolean;
}

export interface AccessConfig {
  /** Undefined in open dev mode (no secret key), where every request has full access. */
  signer: TokenSigner | undefined;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Both sides hashed first: equal lengths, so neither the key's length nor a common prefix leaks in time. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** `request.path` is the SSE route being opened, if any. */
export async function resolveAccess(
  credential: Credential | undefined,
  request: { streamPath: string | undefined },
  config: AccessConfig,
): Promise<Access> {
  const { signer } = config;
  if (!signer) return { kind: "full" };
  if (!credential) throw new UnauthorizedError("Missing access token: send Authorization: Bearer <secret key or public token>");
  if (sameSecret(credential.value, signer.secretKey)) {
    if (credential.inUrl) throw new UnauthorizedError("The secret key is never accepted in a URL: send it as Authorization: Bearer");
    return { kind: "full" };
  }
  if (credential.inUrl && request.streamPath === undefined) {
    throw new UnauthorizedError("?token= is accepted on stream routes only: send Authorization: Bearer");
  }
  const claims = await verifyToken(signer, credential.value);
  if (claims.kind === "stream") {
    if (claims.path !== request.streamPath) throw new ForbiddenError("This stream token is for another stream");
    return { kind: "full", expiresAt: claims.expiresAt };
  }
  const tokenId = digest(credential.value).toString("base64url");
  return { kind: "public", scopes: claims.scopes, expiresAt: claims.expiresAt, tokenId, ...(claims.trigger ? { trigger: claims.trigger } : {}) };
}

export function requireFull(access: Access, what: string): void {
  if (access.kind !== "full") throw new ForbiddenError(`${what} needs the secret key; public tokens are read-only`);
}

/**
 * A public token may read a run named in its scopes, one carrying one of its tags, or one of its
 * tasks. Runs of its batches are checked against the database (`batchesOf`, `requireRun`).
 */
export function mayReadRun(access: Access, run: { id: string; tags: string[]; taskIdentifier: string }): boolean {
  if (access.kind === "full") return true;
  const { runs = [], tags = [], tasks = [] } = access.scopes.read;
  return runs.includes(run.id) || run.tags.some((t) => tags.includes(t)) || tasks.includes(run.taskIdentifier);
}

/** The batches a token may follow. */
export function batchesOf(access: Access): string[] {
  if (access.kind === "full") return [];
  const { batch } = access.scopes.read;
  return batch === undefined ? [] : typeof batch === "string" ? [batch] : batch;
}

/** `inBatch` tells whether the run belongs to a batch, for a token scoped to batches. */
export async function requireRun(
  access: Access, run: { id: string; tags: string[]; taskIdentifier: string }, inBatch: (batchId: string) => Promise<boolean>,
): Promise<void> {
  if (mayReadRun(access, run)) return;
  for (const batchId of batchesOf(access)) if (await inBatch(batchId)) return;
  throw new ForbiddenError("This token does not give access to this run");
}
