import { describe, expect, it } from "vitest";
import { auth, runs, task, wait } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

const SECRET = "waitpoint-secret-key-0123456789";
const approval = task({
  id: "approval",
  run: async (p: { token: string }) => (await wait.forToken(p.token)).unwrap(),
});

async function api(url: string, init: RequestInit & { token?: string | null } = {}) {
  const { token = SECRET, ...rest } = init;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { ...rest, headers });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const post = (url: string, body: unknown, token?: string | null) => api(url, { method: "POST", body: JSON.stringify(body), token });

describe("waitpoint tokens over HTTP", () => {
  it("create, retrieve, list and complete with the secret key; a second completion is a 409 that changes nothing", async () => {
    const engine = await startTestEngine("wp_http", { tasks: [approval], http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const created = await post(`${base}/api/waitpoints/tokens`, { timeout: "1h", tags: ["http"], idempotencyKey: "k1" });
    expect(created.status).toBe(200);
    const token = created.body as { id: string; url: string; publicAccessToken: string; isCached: boolean };
    expect(token.url.startsWith(`${base}/callbacks/waitpoints/${token.id}/`)).toBe(true);
    // The same token; its public access token is made anew (another iat).
    expect((await post(`${base}/api/waitpoints/tokens`, { idempotencyKey: "k1" })).body).toEqual({ ...token, publicAccessToken: expect.any(String), isCached: true });

    const { id: runId } = await approval.trigger({ token: token.id });
    await until(async () => ((await runs.retrieve(runId)).status === "WAITING" ? true : undefined), 20_000);
    const read = await api(`${base}/api/waitpoints/tokens/${token.id}`);
    expect(read.body).toMatchObject({ id: token.id, status: "WAITING", tags: ["http"], runs: [runId] });
    expect(read.body.url).toBeUndefined();
    const listed = await api(`${base}/api/waitpoints/tokens?status=WAITING&tags=http`);
    expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([token.id]);

    expect((await post(`${base}/api/waitpoints/tokens/${token.id}/complete`, { data: { approved: true } })).body).toEqual({ success: true });
    expect((await runs.poll(runId, { timeoutMs: 20_000 })).output).toEqual({ approved: true });
    const again = await post(`${base}/api/waitpoints/tokens/${token.id}/complete`, { data: { approved: false } });
    expect(again).toMatchObject({ status: 409, body: { error: { code: "WAITPOINT_COMPLETED" } } });
    expect((await api(`${base}/api/waitpoints/tokens/${token.id}`)).body.output).toEqual({ approved: true });
    expect((await api(`${base}/api/waitpoints/tokens/waitpoint_missing`)).status).toBe(404);
    expect((await post(`${base}/api/waitpoints/tokens`, { timeout: "soon" })).status).toBe(400);
  });

  it("the callback URL completes the token with no API key; a wrong or reused secret is a 404, a bad body 400/413, and the token stays waiting", async () => {
    const engine = await startTestEngine("wp_callback", { tasks: [approval], http: { port: 0 }, secretKey: SECRET, maxPayloadBytes: 1_000 });
    const base = engine.url!;
    const token = await wait.createToken();
    const { id: runId } = await approval.trigger({ token: token.id });
    await until(async () => ((await runs.retrieve(runId)).status === "WAITING" ? true : undefined), 20_000);
    const wrong = token.url.slice(0, -4) + "AAAA";
    const status = async () => (await wait.retrieveToken(token.id)).status;

    expect(await post(wrong, { approved: true }, null)).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    expect((await post(token.url.replace(token.id, "waitpoint_other"), { approved: true }, null)).status).toBe(404);
    expect((await api(token.url, { method: "POST", body: "{not json", token: null })).status).toBe(400);
    expect((await post(token.url, { big: "x".repeat(2_000) }, null)).status).toBe(400);
    expect((await post(token.url, { big: "x".repeat(1_100_000) }, null)).status).toBe(413);
    expect(await status()).toBe("WAITING");

    expect(await post(token.url, { approved: "by webhook" }, null)).toEqual({ status: 200, body: { success: true } });
    expect((await runs.poll(runId, { timeoutMs: 20_000 })).output).toEqual({ approved: "by webhook" });
    expect(await post(token.url, { approved: "twice" }, null)).toMatchObject({ status: 404 });
    expect((await wait.retrieveToken(token.id)).output).toEqual({ approved: "by webhook" });
    // The database holds the secret's hash, never the secret itself.
    const secret = token.url.split("/").at(-1)!;
    const [row] = await sql<{ hash: string }>(`SELECT encode(secret_hash, 'hex') AS hash FROM "${engine.options.schema}".waitpoints WHERE id = $1`, [token.id]);
    expect(row!.hash).toHaveLength(64);
    expect(row!.hash).not.toContain(Buffer.from(secret).toString("hex"));
  });

  it("the token's public access token reads and completes that waitpoint only; public tokens never create or list", async () => {
    const engine = await startTestEngine("wp_public", { http: { port: 0 }, secretKey: SECRET });
    const base = engine.url!;
    const mine = await wait.createToken();
    const other = await wait.createToken();
    const pat = mine.publicAccessToken;
    expect((await api(`${base}/api/waitpoints/tokens/${mine.id}`, { token: pat })).body).toMatchObject({ id: mine.id, status: "WAITING" });
    expect((await api(`${base}/api/waitpoints/tokens/${other.id}`, { token: pat })).status).toBe(403);
    expect((await post(`${base}/api/waitpoints/tokens/${other.id}/complete`, { data: 1 }, pat)).status).toBe(403);
    expect((await post(`${base}/api/waitpoints/tokens`, {}, pat)).status).toBe(403);
    expect((await api(`${base}/api/waitpoints/tokens`, { token: pat })).status).toBe(403);
    expect((await post(`${base}/api/waitpoints/tokens/${mine.id}/access`, {}, pat)).status).toBe(403);
    expect((await post(`${base}/api/waitpoints/tokens/${mine.id}/complete`, { data: 1 }, null)).status).toBe(401);

    // A read-only token scoped to the waitpoint reads it but may not complete it.
    const readOnly = await auth.createPublicToken({ scopes: { read: { waitpoints: [other.id] } } });
    expect((await api(`${base}/api/waitpoints/tokens/${other.id}`, { token: readOnly })).status).toBe(200);
    expect((await post(`${base}/api/waitpoints/tokens/${other.id}/complete`, { data: 1 }, readOnly)).status).toBe(403);

    expect((await post(`${base}/api/waitpoints/tokens/${mine.id}/complete`, { data: "yes" }, pat)).body).toEqual({ success: true });
    expect(await wait.retrieveToken(mine.id)).toMatchObject({ status: "COMPLETED", output: "yes" });
    expect((await wait.retrieveToken(other.id)).status).toBe("WAITING");
  });

  it("callback URLs start with the publicUrl option when set, else the engine's own address", async () => {
    await startTestEngine("wp_public_url", { http: { port: 0 }, secretKey: SECRET, publicUrl: "https://hooks.example.com/durably/" });
    const token = await wait.createToken();
    expect(token.url.startsWith(`https://hooks.example.com/durably/callbacks/waitpoints/${token.id}/`)).toBe(true);
  });
});
