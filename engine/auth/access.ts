import { timingSafeEqual } from "node:crypto";
import { ForbiddenError, UnauthorizedError, verifyPublicToken, type TokenScopes } from "./tokens.ts";

/** Who is calling: a backend with the secret key (or local dev mode), or a scoped browser token. */
export type Access = { kind: "full" } | { kind: "public"; scopes: TokenScopes };

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function resolveAccess(
  credential: string | undefined,
  config: { secretKey: string | undefined; devMode: boolean },
): Promise<Access> {
  if (!credential) {
    if (config.devMode) return { kind: "full" };
    throw new UnauthorizedError("Missing access token: send Authorization: Bearer <secret key or public token>");
  }
  if (config.secretKey && sameSecret(credential, config.secretKey)) return { kind: "full" };
  if (!config.secretKey) {
    if (config.devMode) return { kind: "full" };
    throw new UnauthorizedError("Invalid access token");
  }
  return { kind: "public", scopes: await verifyPublicToken(config.secretKey, credential) };
}

export function requireFull(access: Access, what: string): void {
  if (access.kind !== "full") throw new ForbiddenError(`${what} needs the secret key; public tokens are read-only`);
}

/** A public token may read a run named in its scopes, or one carrying one of its tags. */
export function mayReadRun(access: Access, run: { id: string; tags: string[] }): boolean {
  if (access.kind === "full") return true;
  const { runs = [], tags = [] } = access.scopes.read;
  return runs.includes(run.id) || run.tags.some((t) => tags.includes(t));
}

export function requireRun(access: Access, run: { id: string; tags: string[] }): void {
  if (!mayReadRun(access, run)) throw new ForbiddenError("This token does not give access to this run");
}
