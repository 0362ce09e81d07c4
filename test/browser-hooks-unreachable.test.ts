import { createServer, type AddressInfo, type Server } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { auth, Client, eventTrigger, wait } from "durably";
import { createEngine, type Engine } from "durably/engine";
import { client } from "../examples/meme-generator.ts";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./helpers/db.ts";
import { buildAndServePage, launchChromium } from "./helpers/browser.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SECRET = "browser-secret-key-0123456789";
const schema = uniqueSchema("hooks_down");

let browser: Browser;
let page: { url: string; close(): Promise<void> };
const engines: Engine[] = [];

beforeAll(async () => {
  page = await buildAndServePage(here("./browser/seed-page"), "seed-page");
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const engine of engines) await engine.stop();
  await browser?.close();
  await page?.close();
  await dropSchemas(schema);
});

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A job that shows a status, then waits for the test to complete its token before the next one. */
const gated = new Client({ id: "gated" });
gated.defineJob({
  id: "gated-memes",
  name: "Gated memes",
  version: "1",
  trigger: eventTrigger({ name: "gated-memes" }),
  run: async (payload: { token: string }, io) => {
    const status = await io.createStatus("generating-memes", { label: "Generating memes", state: "loading" });
    await wait.forToken(payload.token);
    await status.update("done", { state: "success" });
    return { memes: 1 };
  },
});

async function startEngine(options: { port?: number; worker: boolean }): Promise<Engine> {
  const engine = createEngine({
    databaseUrl: TEST_DATABASE_URL, schema, clients: [client, gated], secretKey: SECRET, logLevel: "error", pollIntervalMs: 200,
    worker: options.worker, ...(options.port ? { http: { port: options.port } } : {}),
  });
  await engine.start();
  engines.push(engine);
  return engine;
}

/** Whether "Loading..." came back into a section once its error was shown: the page records it as it renders. */
const WATCH_FOR_LOADING_AFTER_ERROR = `
  window.loadingAfterError = false;
  new MutationObserver(() => {
    for (const section of document.querySelectorAll("section")) {
      if (section.textContent.includes("DurablyApiError")) section.dataset.failed = "yes";
      if (section.dataset.failed && section.textContent.includes("Loading...")) window.loadingAfterError = true;
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

describe("seed React components when the engine cannot be reached", () => {
  it("show the error after the hooks' retries instead of Loading..., then recover on their own, live, once the engine is up", async () => {
    // The run and its token exist; only the HTTP API the page talks to is not there yet.
    const first = await startEngine({ worker: false });
    const { id: eventId } = await client.sendEvent({ name: "generate-memes", payload: {} });
    const [run] = await client.getEventRuns(eventId);
    const token = await auth.createPublicToken({ scopes: { read: { runs: [run!.id] } } });
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;

    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    await tab.addInitScript(WATCH_FOR_LOADING_AFTER_ERROR);
    await tab.goto(`${page.url}/?${new URLSearchParams({ api, token, run: run!.id, event: eventId })}`);

    for (const section of ["#run-data", "#event-run-data"]) {
      await tab.locator(section, { hasText: "DurablyApiError" }).waitFor({ timeout: 30_000 });
      await expect(tab.locator(section).textContent()).resolves.toContain(`Could not reach the engine at ${api}`);
    }
    await tab.screenshot({ path: here("../test-output/seed-components-engine-down.png") });

    await first.stop();
    engines.splice(engines.indexOf(first), 1);
    await startEngine({ port, worker: true });
    for (const section of ["#run-data", "#event-run-data"]) {
      await tab.locator(section, { hasText: "Run status:" }).waitFor({ timeout: 30_000 });
    }
    // The live stream is connected: the job's second status arrives without a reload.
    for (const section of ["#run-data", "#event-run-data"]) {
      await tab.locator(section, { hasText: "Generating memes: success" }).waitFor({ timeout: 30_000 });
      await tab.locator(section, { hasText: "Run status: SUCCESS" }).waitFor({ timeout: 30_000 });
    }
    expect(await tab.evaluate(() => (window as unknown as { loadingAfterError: boolean }).loadingAfterError)).toBe(false);
    expect(errors).toEqual([]);
    await tab.close();
  }, 120_000);

  it("follow a run on through an engine restart: the live stream reconnects and brings what happened meanwhile", async () => {
    const port = await freePort();
    const first = await startEngine({ port, worker: true });
    const token = await wait.createToken({});
    const { id: eventId } = await gated.sendEvent({ name: "gated-memes", payload: { token: token.id } });
    const [run] = await gated.getEventRuns(eventId);
    const publicToken = await auth.createPublicToken({ scopes: { read: { runs: [run!.id] } } });

    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    await tab.goto(`${page.url}/?${new URLSearchParams({ api: first.url!, token: publicToken, run: run!.id, event: eventId })}`);
    await tab.locator("#run-data", { hasText: "Run status: WAITING" }).waitFor({ timeout: 30_000 });
    await expect(tab.locator("#run-data").textContent()).resolves.toContain("Generating memes: loading");

    await first.stop();
    engines.splice(engines.indexOf(first), 1);
    await startEngine({ port, worker: true });
    await wait.completeToken(token.id, {});
    await tab.locator("#run-data", { hasText: "Run status: SUCCESS" }).waitFor({ timeout: 30_000 });
    await expect(tab.locator("#run-data").textContent()).resolves.toContain("Generating memes: success");
    expect(errors).toEqual([]);
    await tab.close();
  }, 120_000);

  it("name what answered instead of the engine: a 5xx says to check it is running, a wrong URL that it is not a durably engine", async () => {
    const server = createHttpServer((request, response) => {
      if (request.method === "OPTIONS") {
        response.writeHead(204, { "access-control-allow-origin": "*", "access-control-allow-headers": "authorization" }).end();
        return;
      }
      const down = request.url?.startsWith("/api/runs/");
      response.writeHead(down ? 503 : 404, { "access-control-allow-origin": "*", "content-type": "text/html" }).end("<h1>nope</h1>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const tab = await browser.newPage();
      await tab.goto(`${page.url}/?${new URLSearchParams({ api, token: "t", run: "run_x", event: "evt_x" })}`);
      // A 404 is not retried: it says so at once. A 503 is, and says so after the retries.
      await tab.locator("#event-run-data", { hasText: `${api} answered GET /api/events/evt_x/statuses with 404 Not Found: is it a durably engine?` }).waitFor({ timeout: 10_000 });
      await tab.locator("#run-data", { hasText: `${api} answered GET /api/runs/run_x/statuses with 503 Service Unavailable: is the engine running?` }).waitFor({ timeout: 30_000 });
      await tab.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);
});
