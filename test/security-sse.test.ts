// SSE streams against an attacker: caps per public token and in total (429), streams that end
// when their token expires, and the stream tokens a page with the secret key opens streams with.
import { describe, expect, it } from "vitest";
import { auth, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { readSse } from "./helpers/sse.ts";
import { until } from "./helpers/until.ts";

const SECRET = "security-sse-secret-key-0123456789";

/** A run that stays unfinished until the test lets it go, so its stream stays open. */
function heldTask(id: string) {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const definition = task({
    id,
    run: async (_: null, { io }) => {
      await io.createStatus("held", { label: "Held", state: "loading" });
      await gate;
      return "done";
    },
  });
  return { task: definition, release };
}

/** Opens a stream and keeps it open (unread) until `close`; a refusal is read whole. */
async function open(url: string, token: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const response = await fetch(url, { headers, signal: controller.signal });
  const refusal = response.ok ? undefined : { status: response.status, body: await response.json(), retryAfter: response.headers.get("retry-after") };
  return { status: response.status, refusal, close: () => controller.abort() };
}

describe("SSE stream caps", () => {
  it("a public token opens a bounded number of streams, and the server a bounded total; more get a 429 that says why", async () => {
    const held = heldTask("held-caps");
    const engine = await startTestEngine("sec_sse_caps", { tasks: [held.task], http: { port: 0, limits: { streams: 5, streamsPerToken: 3 } }, secretKey: SECRET });
    try {
      const { id } = await held.task.trigger(null, { tags: ["t"] });
      const url = `${engine.url}/api/runs/${id}/stream`;
      const tokenA = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
      const tokenB = await auth.createPublicToken({ scopes: { read: { tags: ["t"] } } });

      const streamsOfA = [await open(url, tokenA), await open(url, tokenA), await open(url, tokenA)];
      expect(streamsOfA.map((s) => s.status)).toEqual([200, 200, 200]);
      const fourth = await open(url, tokenA);
      expect(fourth.refusal).toEqual({ status: 429, body: { error: { code: "TOO_MANY_STREAMS", message: expect.stringMatching(/token has 3 streams open/) } }, retryAfter: "5" });

      // Another token is not held back by the first one's streams.
      const ofB = await open(url, tokenB);
      expect(ofB.status).toBe(200);
      // The total: 4 open, one more fits, the next is refused, whoever asks.
      const withKey = await open(url, SECRET);
      expect(withKey.status).toBe(200);
      const overTotal = await open(url, SECRET);
      expect(overTotal.refusal).toMatchObject({ status: 429, body: { error: { code: "TOO_MANY_STREAMS", message: expect.stringMatching(/server has 5 streams open/) } } });

      // A stream that closes gives its place back.
      streamsOfA[0]!.close();
      const again = await until(async () => {
        const attempt = await open(url, tokenA);
        if (attempt.status === 200) return attempt;
        return undefined;
      }, 5_000);
      for (const s of [...streamsOfA, again, ofB, withKey]) s.close();
    } finally {
      held.release();
    }
  });
});

describe("streams and token expiry", () => {
  it("a stream opened with a public token ends when the token expires (not at the request timeout), though its run goes on", async () => {
    const held = heldTask("held-expiry");
    // A request timeout far shorter than the token: it bounds receiving a request, not a stream.
    const engine = await startTestEngine("sec_sse_exp", { tasks: [held.task], http: { port: 0, limits: { requestTimeoutMs: 300 } }, secretKey: SECRET });
    try {
      const { id } = await held.task.trigger(null);
      const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } }, expiresIn: 3 });
      const started = Date.now();
      const { status, messages } = await readSse(`${engine.url}/api/runs/${id}/stream?token=${encodeURIComponent(token)}`);
      const lasted = Date.now() - started;
      expect(status).toBe(200);
      expect(messages.some((m) => m.event === "run")).toBe(true);
      expect(messages.some((m) => m.event === "end")).toBe(false);
      // `exp` is in whole seconds: 2 to 3 s after the token was made.
      expect(lasted).toBeGreaterThan(1500);
      expect(lasted).toBeLessThan(15_000);
      // Reconnecting with the same token is refused now.
      expect((await fetch(`${engine.url}/api/runs/${id}/stream?token=${encodeURIComponent(token)}`)).status).toBe(401);
    } finally {
      held.release();
    }
  });

  it("stream tokens, for a page holding the secret key: minted with the key only, for a stream route only, good on that stream only", async () => {
    const held = heldTask("held-stream-token");
    const engine = await startTestEngine("sec_sse_st", { tasks: [held.task], http: { port: 0 }, secretKey: SECRET });
    try {
      const base = engine.url!;
      const { id } = await held.task.trigger(null);
      const mint = (path: string, token: string) =>
        fetch(`${base}/api/tokens/stream`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ path }) });
      const publicToken = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
      expect((await mint("/api/runs/stream", publicToken)).status).toBe(403);
      expect((await mint(`/api/runs/${id}`, SECRET)).status).toBe(400);
      const { token } = (await (await mint("/api/runs/stream", SECRET)).json()) as { token: string };

      const all = await open(`${base}/api/runs/stream?token=${encodeURIComponent(token)}`, "");
      expect(all.status).toBe(200);
      all.close();
      expect((await fetch(`${base}/api/runs/${id}/stream?token=${encodeURIComponent(token)}`)).status).toBe(403);
      expect((await fetch(`${base}/api/runs/${id}?token=${encodeURIComponent(token)}`)).status).toBe(401);
      expect((await fetch(`${base}/api/runs/${id}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    } finally {
      held.release();
    }
  });
});

describe("streams carried on a run's connection", () => {
  it("a token scoped to run A reads A's streams on A's connection, and never run B's, whatever it asks for", async () => {
    const held = heldTask("held-carried");
    const engine = await startTestEngine("sec_sse_carried", { tasks: [held.task], http: { port: 0 }, secretKey: SECRET });
    try {
      const { id: a } = await held.task.trigger(null, { tags: ["a"] });
      const { id: b } = await held.task.trigger(null, { tags: ["b"] });
      const token = encodeURIComponent(await auth.createPublicToken({ scopes: { read: { runs: [a] } } }));
      const url = (run: string, query: string) => `${engine.url}/api/runs/${run}/stream?${query}&token=${token}`;
      for (const query of ["streams=out,default", "streams=*"]) {
        const mine = await open(url(a, query), "");
        expect(mine.status).toBe(200);
        mine.close();
      }
      for (const query of ["streams=out", "streams=out&run=0", "streams=out&run=0&lastEventId=_0.0", "streams=*", "streams=*&run=0&lastEventId=~out=0.1"]) {
        const other = await open(url(b, query), "");
        expect(other.refusal).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
      }
      // A tag token reads the streams of its tag's runs only.
      const tagToken = encodeURIComponent(await auth.createPublicToken({ scopes: { read: { tags: ["a"] } } }));
      expect((await fetch(`${engine.url}/api/runs/${b}/stream?streams=out&run=0&token=${tagToken}`)).status).toBe(403);
    } finally {
      held.release();
    }
  });
});
