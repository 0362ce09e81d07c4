import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { auth, runs, task, wait } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { buildAndServePage, launchChromium } from "./helpers/browser.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SECRET = "browser-subs-secret-key-0123456789";

const gated = task({
  id: "browser-gated",
  run: async (payload: { gate: string }) => {
    await wait.forToken(payload.gate);
    return "done";
  },
});
const greet = task({ id: "browser-greet", run: async (payload: { name: string }) => `hello ${payload.name}` });

let browser: Browser;
let page: { url: string; close(): Promise<void> };

beforeAll(async () => {
  page = await buildAndServePage(here("./fixtures/subscriptions/page"), "subscriptions-page");
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await page?.close();
});

const rows = async (tab: Page) => (await tab.locator("#runs li").allTextContents()).sort();

describe("live lists and browser triggers in Chromium, with browser tokens only", () => {
  it("useRealtimeRunsWithTag and useRealtimeBatch show their runs live, and nothing outside the token's scope", async () => {
    const engine = await startTestEngine("browser_subs", { tasks: [gated, greet], http: { port: 0 }, secretKey: SECRET });
    const gate = await wait.createToken({ timeout: "1h" });
    const first = await gated.trigger({ gate: gate.id }, { tags: ["user:42"] });
    await gated.trigger({ gate: gate.id }, { tags: ["user:43"] });
    const batch = await gated.batchTrigger([{ payload: { gate: gate.id } }, { payload: { gate: gate.id } }]);
    const tagToken = await auth.createPublicToken({ scopes: { read: { tags: ["user:42"] } } });
    const batchToken = await auth.createPublicToken({ scopes: { read: { batch: batch.batchId! } } });

    const tagTab = await browser.newPage();
    const batchTab = await browser.newPage();
    try {
      await tagTab.goto(`${page.url}/?${new URLSearchParams({ api: engine.url!, tag: "user:42", token: tagToken })}`);
      await batchTab.goto(`${page.url}/?${new URLSearchParams({ api: engine.url!, batch: batch.batchId!, token: batchToken })}`);
      await tagTab.waitForSelector(`#runs li:text("${first.id} WAITING")`, { timeout: 20_000 });
      await batchTab.waitForFunction(() => document.querySelectorAll("#runs li").length === 2 && /WAITING[^]*WAITING/.test(document.querySelector("#runs")!.textContent!), undefined, { timeout: 20_000 });

      // A run tagged later joins the list live.
      const later = await gated.trigger({ gate: gate.id }, { tags: ["user:42"] });
      await tagTab.waitForSelector(`#runs li:text("${later.id} WAITING")`, { timeout: 20_000 });
      await wait.completeToken(gate.id, {});
      for (const id of [first.id, later.id]) await tagTab.waitForSelector(`#runs li:text("${id} SUCCESS")`, { timeout: 20_000 });
      for (const { id } of batch.runs) await batchTab.waitForSelector(`#runs li:text("${id} SUCCESS")`, { timeout: 20_000 });
      expect((await rows(tagTab)).map((row) => row.split(" ")[0])).toEqual([first.id, later.id].sort());
      expect((await rows(batchTab)).map((row) => row.split(" ")[0])).toEqual(batch.runs.map((r) => r.id).sort());

      // Each token follows its own list only.
      await tagTab.goto(`${page.url}/?${new URLSearchParams({ api: engine.url!, tag: "user:43", token: tagToken })}`);
      await tagTab.waitForSelector("#error:text('FORBIDDEN')");
      await batchTab.goto(`${page.url}/?${new URLSearchParams({ api: engine.url!, tag: "user:42", token: batchToken })}`);
      await batchTab.waitForSelector("#error:text('FORBIDDEN')");
      expect(await batchTab.locator("#runs li").count()).toBe(0);
    } finally {
      await tagTab.close();
      await batchTab.close();
    }
  }, 90_000);

  it("useRealtimeTaskTrigger starts the task once with a single-use trigger token and follows the run to its output", async () => {
    const engine = await startTestEngine("browser_trigger", { tasks: [greet], http: { port: 0 }, secretKey: SECRET });
    const token = await auth.createTriggerPublicToken("browser-greet", { expirationTime: "10m" });
    const tab = await browser.newPage();
    try {
      await tab.goto(`${page.url}/?${new URLSearchParams({ api: engine.url!, task: "browser-greet", token })}`);
      await tab.click("#submit");
      await tab.waitForSelector(`#run:text('SUCCESS "hello Ada"')`, { timeout: 20_000 });
      await tab.click("#submit");
      await tab.waitForSelector("#error:text('FORBIDDEN')", { timeout: 20_000 });
      expect((await runs.list({ taskIdentifier: "browser-greet" })).data.length).toBe(1);
    } finally {
      await tab.close();
    }
  }, 60_000);
});
