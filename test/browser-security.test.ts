// The dashboard's defences in real Chromium: it works under its CSP, cannot be framed, keeps the
// secret key out of localStorage and out of every URL, and loads status images by its policy.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { task } from "durably";
import type { Engine } from "durably/engine";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";

const SECRET = "browser-security-secret-0123456789";

const PUBLIC_IMAGE = "https://images.example.com/public.svg";
const NOT_LOADED = [
  "http://images.example.com/plain-http.svg",
  "https://192.168.1.1/router.svg",
  "https://169.254.169.254/latest/meta-data.svg",
  "https://localhost/local.svg",
  "https://printer.local/status.svg",
  "https://[fd00::1]/ula.svg",
  "https://intranet/logo.svg",
];
const DATA_IMAGE = `data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>').toString("base64")}`;
const SCRIPT_URL = "javascript:alert(1)";
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#4f46e5"/></svg>`;

let gate: PromiseWithResolvers<void> = Promise.withResolvers<void>();
const gallery = task({
  id: "gallery",
  run: async (_: unknown, { io }) => {
    const status = await io.createStatus("images", { label: "Images", state: "loading", data: { urls: [PUBLIC_IMAGE, ...NOT_LOADED, DATA_IMAGE, SCRIPT_URL] } });
    await gate.promise;
    await status.update("done", { label: "Images shown", state: "success" });
    return "shown";
  },
});

let dashboard: DashboardUnderTest;
let context: BrowserContext;
let engine: Engine;
/** Every URL the browser asked for, whatever the host. */
const requested: string[] = [];

beforeAll(async () => {
  dashboard = await startDashboard("browser-security", { tasks: [gallery], secretKey: SECRET });
  ({ engine, context } = dashboard);
  await context.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => {
    // Chromium has no network here: the public image is served locally, anything else is refused.
    const url = route.request().url();
    if (url === PUBLIC_IMAGE) return route.fulfill({ contentType: "image/svg+xml", body: SVG });
    return route.abort();
  });
  context.on("request", (request) => requested.push(request.url()));
  // CSP violations, as the page reports them.
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __violations: string[] }).__violations = seen;
    document.addEventListener("securitypolicyviolation", (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
}, 120_000);

afterAll(async () => {
  gate.resolve();
  await dashboard?.close();
});

async function signedInTab(): Promise<{ tab: Page; errors: string[] }> {
  const tab = await context.newPage();
  const errors: string[] = [];
  tab.on("pageerror", (e) => errors.push(e.message));
  await tab.goto(engine.url!);
  await tab.getByTestId("login-key").fill(SECRET);
  await tab.getByTestId("login-submit").click();
  return { tab, errors };
}

describe("the dashboard under its security policy", () => {
  it("works under its CSP: live updates arrive over streams opened with stream tokens, and the key is never in a URL or in localStorage", async () => {
    gate = Promise.withResolvers<void>();
    const { tab, errors } = await signedInTab();
    const streams: { url: string; status: number }[] = [];
    tab.on("response", (response) => {
      if (response.url().includes("/stream?")) streams.push({ url: response.url(), status: response.status() });
    });
    await tab.locator(".nav").getByRole("link", { name: "Trigger" }).click();
    await tab.getByTestId("trigger-task-select").selectOption("gallery");
    await tab.getByTestId("trigger-submit").click();
    await tab.waitForURL(/#\/runs\/run_/);
    const status = tab.getByTestId("status-images");
    await status.getByText("loading", { exact: true }).waitFor({ timeout: 15_000 });
    // Only a stream can bring this: the page has what it fetched, and the run goes on after.
    gate.resolve();
    await status.getByText("success", { exact: true }).waitFor({ timeout: 15_000 });
    await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 15_000 });

    expect(streams.length).toBeGreaterThan(0);
    for (const stream of streams) {
      expect(stream.status, stream.url).toBe(200);
      const token = new URL(stream.url).searchParams.get("token")!;
      const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { stream?: string; exp: number; iat: number };
      expect(claims.stream).toBe(new URL(stream.url).pathname);
      expect(claims.exp - claims.iat).toBeLessThanOrEqual(300);
    }
    expect(requested.filter((url) => url.includes(SECRET) || url.includes(encodeURIComponent(SECRET)))).toEqual([]);
    await expect(tab.evaluate(() => ({ session: sessionStorage.getItem("durably.secretKey"), local: Object.keys(localStorage) }))).resolves.toEqual({
      session: SECRET,
      local: [],
    });
    await expect(tab.evaluate(() => (window as unknown as { __violations: string[] }).__violations)).resolves.toEqual([]);
    expect(errors).toEqual([]);

    // A new tab does not have the key: it asks for it.
    const other = await context.newPage();
    await other.goto(engine.url!);
    await other.getByTestId("login-key").waitFor();
    await other.close();
    await tab.close();
  });

  it("loads only public https and data: status images; plain http, internal hosts and other schemes stay links, never fetched", async () => {
    gate.resolve();
    const { id } = await gallery.trigger({});
    const { tab, errors } = await signedInTab();
    await tab.goto(`${engine.url}/#/runs/${id}`);
    const status = tab.getByTestId("status-images");
    await status.waitFor({ timeout: 15_000 });
    const publicImage = status.locator(`img[src="${PUBLIC_IMAGE}"]`);
    await publicImage.waitFor();
    await expect(publicImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).resolves.toBe(true);
    await expect(status.locator(`img[src="${DATA_IMAGE}"]`).count()).resolves.toBe(1);
    await expect(status.locator("img").count()).resolves.toBe(2);

    const links = status.getByTestId("status-image-link");
    await expect(links.count()).resolves.toBe(NOT_LOADED.length + 1);
    for (const url of NOT_LOADED) {
      const link = status.locator(`a[data-testid="status-image-link"][href="${url}"]`);
      await expect(link.count(), url).resolves.toBe(1);
      await expect(link.textContent()).resolves.toContain(url);
    }
    // A javascript: URL is text, not a link.
    await expect(status.locator(`[data-testid="status-image-link"]:not(a)`).textContent()).resolves.toContain(SCRIPT_URL);
    await tab.reload();
    await publicImage.waitFor();
    for (const url of NOT_LOADED) expect(requested.filter((r) => r === url), url).toEqual([]);
    expect(requested).toContain(PUBLIC_IMAGE);
    expect(errors).toEqual([]);
    await tab.close();
  });

  it("cannot be framed by another site (clickjacking)", async () => {
    const framer: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><iframe id="victim" src="${engine.url}/" width="800" height="600"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, "127.0.0.1", resolve));
    try {
      const tab = await context.newPage();
      const blocked = new Promise<string>((resolve) => tab.on("console", (message) => message.text().includes("frame-ancestors") && resolve(message.text())));
      await tab.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`);
      await expect(blocked).resolves.toMatch(/frame-ancestors 'none'/);
      const frame = tab.frames().find((f) => f !== tab.mainFrame());
      await expect(frame?.locator('[data-testid="login-key"]').count() ?? Promise.resolve(0)).resolves.toBe(0);
      await tab.close();
    } finally {
      await new Promise((resolve) => framer.close(resolve));
    }
  });
});
