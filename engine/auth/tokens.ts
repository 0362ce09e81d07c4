import { randomUUID } from "node:crypto";
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { z } from "zod";
import { DurablyError, InvalidPayloadError } from "../../sdk/errors.ts";

export const scopesSchema = z.object({
  read: z.object({
    runs: z.array(z.string().min(1).max(256)).max(1000).optional(),
    tags: z.array(z.string().min(1).max(256)).max(100).optional(),
    /** Waitpoint tokens it may read (`GET /api/waitpoints/tokens/:id`). */
    waitpoints: z.array(z.string().min(1).max(256)).max(100).optional(),
    /** Batches whose runs it may read and follow (`useRealtimeBatch`); one id or several. */
    batch: z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).max(100)]).optional(),
    /** Tasks whose runs it may read. */
    tasks: z.array(z.string().min(1).max(256)).max(100).optional(),
  }),
  /** The one write a public token may make: completing these waitpoint tokens (`useWaitToken`). */
  write: z.object({ waitpoints: z.array(z.string().min(1).max(256)).max(100).optional() }).optional(),
});

export type TokenScopes = z.infer<typeof scopesSchema>;

const ISSUER = "durably";
/** Public tokens are for browsers: short-lived, at most a day. */
export const MAX_TOKEN_SECONDS = 24 * 60 * 60;
/** Stream tokens stand in for the secret key in an `EventSource` URL, which may be logged: minutes. */
export const STREAM_TOKEN_SECONDS = 5 * 60;
/** A signer's clock ahead of ours by this much does not make its tokens too long-lived. */
const CLOCK_TOLERANCE_SECONDS = 60;

/** Signs and checks tokens for one deployment: a token made for one schema is refused by another. */
export interface TokenSigner {
  secretKey: string;
  audience: string;
}

/** The deployment a token is for: engines on different schemas never accept each other's tokens. */
export const audienceOf = (schema: string): string => `durably:${schema}`;

/** What a trigger token (`createTriggerPublicToken`) allows: starting runs of one task, once unless `multipleUse`. */
export interface TriggerGrant {
  taskId: string;
  multipleUse: boolean;
  /** The token's own id (`jti`): spending a single-use token records it. */
  tokenId: string;
}

/** What a valid token grants: read access within scopes (and maybe a task to trigger), or one SSE stream (a path). */
export type TokenClaims =
  | { kind: "public"; scopes: TokenScopes; expiresAt: number; trigger?: TriggerGrant }
  | { kind: "stream"; path: string; expiresAt: number };

const triggerClaim = z.object({ task: z.string().min(1).max(256), multipleUse: z.boolean() });

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

/**
 * `expiresIn`: seconds or "15m" / "1h"; `expirationTime` (Trigger.dev's name): a duration such
 * as "1h", a Date, or an epoch time in seconds. Public tokens are short-lived, at most a day.
 */
export function expirySeconds(expiresIn: number | string | undefined, expirationTime?: number | string | Date): number {
  if (expirationTime !== undefined && expiresIn === undefined) {
    if (typeof expirationTime === "string") return expirySeconds(expirationTime);
    const epochMs = expirationTime instanceof Date ? expirationTime.getTime() : expirationTime * 1000;
    return expirySeconds(Math.round((epochMs - Date.now()) / 1000));
  }
  if (expiresIn === undefined) return 15 * 60;
  const seconds =
    typeof expiresIn === "number"
      ? expiresIn
      : (() => {
          const m = /^(\d+)\s*(s|m|h)$/.exec(expiresIn.trim());
          if (!m) throw new InvalidPayloadError(`expiresIn "${expiresIn}" must look like "30s", "15m" or "1h"`);
          return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
        })();
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TOKEN_SECONDS) {
    throw new InvalidPayloadError(`expiresIn must be between 1 second and ${MAX_TOKEN_SECONDS} seconds`);
  }
  return seconds;
}

function sign(signer: TokenSigner, claims: Record<string, unknown>, seconds: number, tokenId?: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims);
  if (tokenId !== undefined) jwt.setJti(tokenId);
  return jwt
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(signer.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + seconds)
    .sign(keyOf(signer.secretKey));
}

export interface PublicTokenRequest {
  scopes: TokenScopes;
  expiresIn?: number | string | undefined;
  expirationTime?: number | string | Date | undefined;
}

/** A read-only HS256 JWT for browsers, scoped to run ids, tags, batches and/or tasks. */
export async function createPublicToken(signer: TokenSigner, options: PublicTokenRequest): Promise<string> {
  return sign(signer, { scopes: scopesSchema.parse(options.scopes) }, expirySeconds(options.expiresIn, options.expirationTime));
}

export interface TriggerTokenRequest {
  expirationTime?: number | string | Date | undefined;
  /** Default false: the token starts one run, and is refused after that. */
  multipleUse?: boolean | undefined;
}

/** A browser token that may trigger `taskId` (and read nothing): once, or until it expires with `multipleUse`. */
export async function createTriggerToken(signer: TokenSigner, taskId: string, options: TriggerTokenRequest = {}): Promise<string> {
  const trigger = triggerClaim.parse({ task: taskId, multipleUse: options.multipleUse ?? false });
  return sign(signer, { scopes: { read: {} }, trigger }, expirySeconds(undefined, options.expirationTime), randomUUID());
}

/** A token that opens one SSE stream (`path`), so a page holding the secret key never puts it in a URL. */
export async function createStreamToken(signer: TokenSigner, path: string): Promise<string> {
  return sign(signer, { stream: path }, STREAM_TOKEN_SECONDS);
}

/**
 * Checks signature, issuer and expiry first (so an expired token says so), then what jose leaves
 * optional: an `exp` at most a day away and the audience of this deployment.
 */
export async function verifyToken(signer: TokenSigner, token: string): Promise<TokenClaims> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keyOf(signer.secretKey), {
      issuer: ISSUER,
      algorithms: ["HS256"],
      requiredClaims: ["exp"],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new UnauthorizedError("Access token expired");
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "exp") {
      throw new UnauthorizedError("Access token has no expiry (exp)");
    }
    throw new UnauthorizedError("Invalid access token");
  }
  const expiresAt = payload.exp! * 1000;
  if (expiresAt - Date.now() > (MAX_TOKEN_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000) {
    throw new UnauthorizedError(`Access token lives longer than the maximum of ${MAX_TOKEN_SECONDS} seconds`);
  }
  if (payload.aud !== signer.audience) throw new UnauthorizedError("Access token is for another deployment (aud)");
  if (typeof payload.stream === "string") {
    if (expiresAt - Date.now() > (STREAM_TOKEN_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000) throw new UnauthorizedError("Invalid access token");
    return { kind: "stream", path: payload.stream, expiresAt };
  }
  const scopes = scopesSchema.safeParse(payload.scopes);
  if (!scopes.success) throw new UnauthorizedError("Access token has no valid scopes");
  if (payload.trigger === undefined) return { kind: "public", scopes: scopes.data, expiresAt };
  const trigger = triggerClaim.safeParse(payload.trigger);
  if (!trigger.success || typeof payload.jti !== "string") throw new UnauthorizedError("Invalid access token");
  return { kind: "public", scopes: scopes.data, expiresAt, trigger: { taskId: trigger.data.task, multipleUse: trigger.data.multipleUse, tokenId: payload.jti } };
}
