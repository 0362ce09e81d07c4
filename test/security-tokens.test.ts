// Tokens and credentials, without a server: what a token must carry to be accepted, where a
// credential may come from, and that comparing the secret key leaks nothing through timing.
import { describe, expect, it, vi } from "vitest";
import { SignJWT } from "jose";
import * as crypto from "node:crypto";
import { resolveAccess } from "../engine/auth/access.ts";
import { audienceOf, createPublicToken, createStreamToken, createTriggerToken, MAX_TOKEN_SECONDS } from "../engine/auth/tokens.ts";
import { withoutServerDetails } from "../engine/http/public-view.ts";

vi.mock("node:crypto", async (original) => {
  const actual = await original<typeof import("node:crypto")>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const SECRET = "tokens-test-secret-key-0123456789";
const signer = { secretKey: SECRET, audience: audienceOf("deployment_a") };
const config = { signer };
const scopes = { read: { runs: ["run_a"] } };
const now = () => Math.floor(Date.now() / 1000);

/** A token signed with the right key, with the claims a test chooses. */
function handMade(claims: { exp?: number; aud?: string | null; stream?: string }) {
  let jwt = new SignJWT(claims.stream ? { stream: claims.stream } : { scopes }).setProtectedHeader({ alg: "HS256" }).setIssuer("durably");
  if (claims.aud !== null) jwt = jwt.setAudience(claims.aud ?? signer.audience);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(new TextEncoder().encode(SECRET));
}

const header = (value: string) => ({ value, inUrl: false });
const inUrl = (value: string) => ({ value, inUrl: true });
const readRun = { streamPath: undefined };
const runStream = { streamPath: "/api/runs/run_a/stream" };

async function refusal(attempt: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error, "expected a refusal").toBeInstanceOf(Error);
  return error as { code: string; message: string };
}

describe("public tokens", () => {
  it("are accepted with an expiry within a day, for this deployment", async () => {
    const token = await createPublicToken(signer, { scopes, expiresIn: "1h" });
    await expect(resolveAccess(header(token), readRun, config)).resolves.toMatchObject({ kind: "public", scopes });
    await expect(resolveAccess(header(await handMade({ exp: now() + MAX_TOKEN_SECONDS })), readRun, config)).resolves.toMatchObject({ kind: "public" });
  });

  it("are refused without an expiry, or with one further than a day away", async () => {
    expect(await refusal(resolveAccess(header(await handMade({})), readRun, config))).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(/no expiry/) });
    for (const exp of [now() + MAX_TOKEN_SECONDS + 3600, now() + 100 * 365 * 86400]) {
      expect(await refusal(resolveAccess(header(await handMade({ exp })), readRun, config))).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(/maximum/) });
    }
    await expect(createPublicToken(signer, { scopes, expiresIn: MAX_TOKEN_SECONDS + 1 })).rejects.toThrow(/expiresIn/);
  });

  it("are refused by another deployment (another schema's audience), and without an audience", async () => {
    const other = await createPublicToken({ secretKey: SECRET, audience: audienceOf("deployment_b") }, { scopes });
    expect(await refusal(resolveAccess(header(other), readRun, config))).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(/another deployment/) });
    expect(await refusal(resolveAccess(header(await handMade({ exp: now() + 60, aud: null })), readRun, config))).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("come in a URL (?token=) on stream routes only", async () => {
    const token = await createPublicToken(signer, { scopes });
    await expect(resolveAccess(inUrl(token), runStream, config)).resolves.toMatchObject({ kind: "public" });
    expect(await refusal(resolveAccess(inUrl(token), readRun, config))).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(/stream routes only/) });
  });
});

describe("trigger tokens", () => {
  it("grant one task to trigger, single use unless asked, and read nothing", async () => {
    const once = await resolveAccess(header(await createTriggerToken(signer, "send-email")), readRun, config);
    expect(once).toMatchObject({ kind: "public", scopes: { read: {} }, trigger: { taskId: "send-email", multipleUse: false, tokenId: expect.any(String) } });
    const many = await resolveAccess(header(await createTriggerToken(signer, "send-email", { multipleUse: true })), readRun, config);
    expect(many).toMatchObject({ trigger: { multipleUse: true } });
    // Each token has its own id, so spending one spends no other.
    expect((many as { trigger: { tokenId: string } }).trigger.tokenId).not.toBe((once as { trigger: { tokenId: string } }).trigger.tokenId);
  });

  it("are refused with a trigger claim that is malformed or has no token id to spend", async () => {
    const forged = (trigger: unknown, jti?: string) => {
      const jwt = new SignJWT({ scopes: { read: {} }, trigger }).setProtectedHeader({ alg: "HS256" }).setIssuer("durably")
        .setAudience(signer.audience).setExpirationTime(now() + 60);
      return (jti ? jwt.setJti(jti) : jwt).sign(new TextEncoder().encode(SECRET));
    };
    for (const token of [await forged({ task: "t", multipleUse: false }), await forged({ task: "", multipleUse: false }, "id"), await forged("t", "id")]) {
      expect(await refusal(resolveAccess(header(token), readRun, config))).toMatchObject({ code: "UNAUTHORIZED" });
    }
  });
});

describe("the secret key", () => {
  it("is never accepted in a URL, not even on a stream route, and the refusal does not repeat it", async () => {
    await expect(resolveAccess(header(SECRET), runStream, config)).resolves.toEqual({ kind: "full" });
    for (const request of [runStream, readRun]) {
      const error = await refusal(resolveAccess(inUrl(SECRET), request, config));
      expect(error).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(/never accepted in a URL/) });
      expect(error.message).not.toContain(SECRET);
    }
  });

  it("is compared as SHA-256 digests in constant time, whatever the length of the guess", async () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    for (const guess of ["x", SECRET.slice(0, -1), `${SECRET}x`, "y".repeat(SECRET.length)]) {
      compare.mockClear();
      await resolveAccess(header(guess), readRun, config).catch(() => undefined);
      expect(compare, `a guess of ${guess.length} characters`).toHaveBeenCalledTimes(1);
      const [a, b] = compare.mock.calls[0]! as [Buffer, Buffer];
      expect([a.length, b.length]).toEqual([32, 32]);
    }
  });
});

describe("stream tokens (what the dashboard opens streams with)", () => {
  it("open the one stream they were made for, and nothing else", async () => {
    const token = await createStreamToken(signer, "/api/runs/run_a/stream");
    await expect(resolveAccess(inUrl(token), runStream, config)).resolves.toMatchObject({ kind: "full", expiresAt: expect.any(Number) });
    expect(await refusal(resolveAccess(inUrl(token), { streamPath: "/api/runs/stream" }, config))).toMatchObject({ code: "FORBIDDEN" });
    expect(await refusal(resolveAccess(header(token), readRun, config))).toMatchObject({ code: "FORBIDDEN" });
  });

  it("are refused when they live longer than a stream token may", async () => {
    const long = await handMade({ exp: now() + 3600, stream: "/api/runs/run_a/stream" });
    expect(await refusal(resolveAccess(inUrl(long), runStream, config))).toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("what a public token sees of errors", () => {
  it("keeps name, message and code, and drops stacks and call sites, however deep", () => {
    const run = {
      error: { name: "Error", message: "boom", stack: "Error: boom\n    at /srv/app/jobs.ts:12:3", code: "E1" },
      output: { children: [{ ok: false, error: { name: "TypeError", message: "bad", stack: "at /srv/app/child.ts:1:1" } }] },
      diverged: {
        name: "NonDeterminismError",
        message: "Run diverged at seq 2 at /srv/app/jobs.ts:40:7",
        details: { seq: 2, callSite: "/srv/app/jobs.ts:40:7" },
      },
      createdAt: new Date("2026-01-01T00:00:00Z"),
    };
    const seen = withoutServerDetails(run);
    expect(JSON.stringify(seen)).not.toContain("/srv/app");
    expect(seen.error).toEqual({ name: "Error", message: "boom", code: "E1" });
    expect(seen.output.children[0]!.error).toEqual({ name: "TypeError", message: "bad" });
    expect(seen.diverged).toEqual({ name: "NonDeterminismError", message: "Run diverged at seq 2", details: { seq: 2 } });
    expect(seen.createdAt).toBe("2026-01-01T00:00:00.000Z");
  });
});
