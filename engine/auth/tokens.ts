import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { z } from "zod";
import { DurablyError, InvalidPayloadError } from "../../sdk/errors.ts";

export const scopesSchema = z.object({
  read: z.object({
    runs: z.array(z.string().min(1).max(256)).max(1000).optional(),
    tags: z.array(z.string().min(1).max(256)).max(100).optional(),
  }),
});

export type TokenScopes = z.infer<typeof scopesSchema>;

const ISSUER = "durably";
const MAX_EXPIRY_SECONDS = 24 * 60 * 60;

export class UnauthorizedError extends DurablyError {
  constructor(message: string) {
    super("UNAUTHORIZED", message);
  }
}

export class ForbiddenError extends DurablyError {
  constructor(message: string) {
    super("FORBIDDEN", message);
  }
}

function keyOf(secretKey: string): Uint8Array {
  return new TextEncoder().encode(secretKey);
}

/** `expiresIn`: seconds or "15m" / "1h"; public tokens are short-lived, at most a day. */
export function expirySeconds(expiresIn: number | string | undefined): number {
  if (expiresIn === undefined) return 15 * 60;
  const seconds =
    typeof expiresIn === "number"
      ? expiresIn
      : (() => {
          const m = /^(\d+)\s*(s|m|h)$/.exec(expiresIn.trim());
          if (!m) throw new InvalidPayloadError(`expiresIn "${expiresIn}" must look like "30s", "15m" or "1h"`);
          return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
        })();
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_EXPIRY_SECONDS) {
    throw new InvalidPayloadError(`expiresIn must be between 1 second and ${MAX_EXPIRY_SECONDS} seconds`);
  }
  return seconds;
}

/** A read-only HS256 JWT for browsers, scoped to run ids and/or tags. */
export async function createPublicToken(secretKey: string, options: { scopes: TokenScopes; expiresIn?: number | string }): Promise<string> {
  const scopes = scopesSchema.parse(options.scopes);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scopes })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + expirySeconds(options.expiresIn))
    .sign(keyOf(secretKey));
}

export async function verifyPublicToken(secretKey: string, token: string): Promise<TokenScopes> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secretKey), { issuer: ISSUER, algorithms: ["HS256"] });
    const scopes = scopesSchema.safeParse(payload.scopes);
    if (!scopes.success) throw new UnauthorizedError("Access token has no valid scopes");
    return scopes.data;
  } catch (error) {
    if (error instanceof UnauthorizedError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new UnauthorizedError("Access token expired");
    throw new UnauthorizedError("Invalid access token");
  }
}
