import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { auth } from "durably";
import { client } from "../examples/meme-generator.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { buildAndServePage, launchChromium } from "./helpers/browser.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SECRET = "browser-secret-key-0123456789";

let browser: Browser;
let page: { url: string; close(): Promise<void> };

beforeAll(async () => {
  page = await buildAndServePage(here("./browser/seed-page"), "seed-page");
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await page?.close();
});

describe("seed React components in Chromium", () => {
  it("show 'Generating memes: loading', then the images and the output, without a reload", async () => {
    const engine = await startTestEngine("browser_seed", { clients: [client], http: { port: 0 }, secretKey: SECRET });
    const { id: eventId } = await client.sendEvent({ name: "generate-memes", payload: {} });
    const [run] = await client.getEventRuns(eventId);
    const token = await auth.createPublicToken({ scopes: { read: { runs: [run!.id] } } });

    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    const query = new URLSearchParams({ api: engine.url!, token, run: run!.id, event: eventId });
    await tab.goto(`${page.url}/?${query}`);

    for (const section of ["#run-data", "#event-run-data"]) {
      await tab.locator(section, { hasText: "Generating memes: loading" }).waitFor({ timeout: 15_000 });
    }
    for (const section of ["#run-data", "#event-run-data"]) {
      await tab.locator(`${section} img[src*="giphy.gif"]`).waitFor({ timeout: 15_000 });
      await tab.locator(section, { hasText: "Run status: SUCCESS" }).waitFor({ timeout: 15_000 });
      await expect(tab.locator(`${section} pre`).textContent()).resolves.toContain('"memes": 1');
      await expect(tab.locator(section).textContent()).resolves.toContain("Generating memes: success");
    }
    await tab.screenshot({ path: here("../test-output/seed-components.png") });
    expect(errors).toEqual([]);
    await tab.close();
  });
});
