import { createHmac } from "node:crypto";

/**
 * The `durably-signature` header, as Stripe signs its webhooks: `t=<unix seconds>,v1=<hex
 * HMAC-SHA256 of "<t>.<body>">`. The timestamp is signed too, so a receiver that refuses old
 * ones refuses a replayed request.
 */
export function signatureHeader(secret: string, body: string, at: Date = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}
