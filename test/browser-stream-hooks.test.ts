// useRealtimeStream and useRealtimeRunWithStreams in Chromium, on a customer's page with public
// tokens: text and JSON chunks arrive live, a failed step's chunks go with its reset, the hooks
// share the run's one connection for the run and its streams, and a token for another run reads nothing.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { auth, metadata, streams, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { buildAndServePage, launchChromium } from "./helpers/browser.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SECRET = "stream-hooks-secret-key-0123456789";

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
const more = gate();
const fail = gate();

const writer = task({
  id: "browser-stream-writer",
  run: async (_: null, { io }) => {
    await streams.append("ai", "Hello");
    await metadata.set("progress", 0.5);
    await more.promise;
    await streams.append("ai", ", world");
    await io.runTask("rows", async ({ attempt }) => {
      await streams.append("rows", { n: 1, attempt });
      if (attempt === 1) {
        await fail.promise;
        throw new Error("fails after the page has its row");
      }
    }, { retry: { maxAttempts: 2, minTimeoutInMs: 10, randomize: false } });
    await streams.append("ai", "!");
  },
});
const other = task({ id: "browser-stream-other", run: async () => "other" });

let browser: Browser;
let page: { url: string; close(): Promise<void> };

beforeAll(async () => {
  page = await buildAndServePage(here("./browser/stream-page"), "stream-page");
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await page?.close();
});

describe("stream hooks in Chromium", () => {
  it("show text and JSON chunks live, drop a failed step's chunks at its reset, and share the run's one connection", async () => {
    const engine = await startTestEngine("browser_stream_hooks", { tasks: [writer, other], http: { port: 0 }, secretKey: SECRET });
    const { id } = await writer.trigger(null);
    const { id: otherId } = await other.trigger(null);
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const otherToken = await auth.createPublicToken({ scopes: { read: { runs: [otherId] } } });

    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    // Every EventSource the page opens, by path and token, and the most open at once per path and token.
    await tab.addInitScript(() => {
      const w = window as unknown as { opened: string[]; open: Record<string, number>; most: Record<string, number> };
      w.opened = [];
      w.open = {};
      w.most = {};
      const Original = window.EventSource;
      window.EventSource = class extends Original {
        readonly #at: string;
        #closed = false;
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          const { pathname, searchParams } = new URL(String(url));
          this.#at = `${pathname} ${searchParams.get("token")}`;
          w.opened.push(this.#at);
          w.open[this.#at] = (w.open[this.#at] ?? 0) + 1;
          w.most[this.#at] = Math.max(w.most[this.#at] ?? 0, w.open[this.#at]!);
        }
        override close() {
          if (!this.#closed) w.open[this.#at]! -= 1;
          this.#closed = true;
          super.close();
        }
      } as typeof EventSource;
    });
    await tab.goto(`${page.url}/?${new URLSearchParams({ api: engine.url!, token, otherToken, run: id })}`);

    await tab.locator("#tokens .text", { hasText: "Hello" }).waitFor({ timeout: 15_000 });
    await tab.locator("#with-streams .ai", { hasText: "Hello" }).waitFor({ timeout: 15_000 });
    await tab.locator("#with-streams .progress", { hasText: "0.5" }).waitFor({ timeout: 15_000 });
    await tab.locator("#forbidden .error", { hasText: "403" }).waitFor({ timeout: 15_000 });

    more.open();
    await tab.locator("#with-streams .rows", { hasText: '"attempt":1' }).waitFor({ timeout: 15_000 });
    fail.open();
    await tab.locator("#with-streams .status", { hasText: "SUCCESS" }).waitFor({ timeout: 20_000 });
    await tab.locator("#tokens .end", { hasText: "SUCCESS" }).waitFor({ timeout: 15_000 });
    await tab.locator("#with-streams .ai", { hasText: "Hello, world!" }).waitFor({ timeout: 15_000 });
    await expect(tab.locator("#tokens .text").textContent()).resolves.toBe("Hello, world!");
    await expect(tab.locator("#with-streams .rows").textContent()).resolves.toBe('[{"n":1,"attempt":2}]');

    const { opened, most } = await tab.evaluate(() => {
      const w = window as unknown as { opened: string[]; most: Record<string, number> };
      return { opened: w.opened, most: w.most };
    });
    const count = (path: string, withToken = token) => opened.filter((p) => p === `${path} ${withToken}`).length;
    // The run, "ai" and "rows" came on the run's connection, opened once: when the run's snapshot
    // was in (the run after it and every stream of the run), not before it without the run, and
    // never for a stream the run started.
    expect(opened.filter((p) => p.includes("/streams/"))).toEqual([]);
    expect(most[`/api/runs/${id}/stream ${token}`]).toBe(1);
    expect(count(`/api/runs/${id}/stream`)).toBe(1);
    // The other run's token is refused once, and not tried again.
    expect(count(`/api/runs/${id}/stream`, otherToken)).toBe(1);
    expect(errors).toEqual([]);
    await tab.close();
  });
});
