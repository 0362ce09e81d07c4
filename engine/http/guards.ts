import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** `localhost`, `127.0.0.1` or `[::1]`, with any port or none. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(:\d{1,5})?$/.exec(host.toLowerCase());
  return match !== null && LOOPBACK_HOSTS.has(match[1]!);
}

export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(url.host);
  } catch {
    return false;
  }
}

const forbidden = (c: Context, code: string, message: string) => c.json({ error: { code, message } }, 403);

/**
 * Open dev mode (no secret key) answers anyone who can reach it, so it answers only this machine:
 * a Host that is not loopback is DNS rebinding (a foreign name pointed at 127.0.0.1), and an
 * Origin that is not loopback is a web page the user happens to visit. Requests without an Origin
 * (curl, the SDK, same-origin GETs) come from this machine's own programs.
 */
export const loopbackOnly: MiddlewareHandler = async (c, next) => {
  // The URL's host is the request's Host header (node-server builds it from that header).
  if (!isLoopbackHost(new URL(c.req.url).host)) {
    return forbidden(c, "FORBIDDEN_HOST", "Without a secret key the engine answers only Host localhost, 127.0.0.1 or [::1]");
  }
  const origin = c.req.header("origin");
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    return forbidden(c, "FORBIDDEN_ORIGIN", "Without a secret key the engine answers only pages served from localhost, 127.0.0.1 or [::1]");
  }
  await next();
};

/**
 * With a secret key every call carries its credential in a header (no cookies, nothing ambient),
 * so any origin may call: a page elsewhere holding a public token reads what the token allows, a
 * page without one gets a 401. In open dev mode only loopback pages may read the answers.
 */
export function corsPolicy(open: boolean): MiddlewareHandler {
  return cors({
    origin: open ? (origin) => (isLoopbackOrigin(origin) ? origin : null) : "*",
    allowMethods: ["GET", "POST", "DELETE"],
    allowHeaders: ["Authorization", "Content-Type", "Last-Event-ID"],
    maxAge: 600,
  });
}

/**
 * The dashboard runs cancel, retry and trigger with the secret key: no page may frame it
 * (clickjacking); it loads code only from itself, and images only from itself, data: URLs and
 * https (plain http and internal hosts are links, never fetched: see StatusImage).
 */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** API answers are data, never documents: nothing may run, load or frame them. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  const headers = c.res.headers;
  headers.set("Content-Security-Policy", c.req.path.startsWith("/api/") ? API_CSP : DASHBOARD_CSP);
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("X-Frame-Options", "DENY");
  // Run ids in the dashboard's URL stay on this site; links to status images and URLs get nothing.
  headers.set("Referrer-Policy", "no-referrer");
};
