import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { auth, runs, task, wait } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { buildAndServePage, launchChromium } from "./helpers/browser.ts";
import { until } from "./helpers/until.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SECRET = "browser-secret-key-0123456789";

let browser: Browser;
let page: { url: string; close(): Promise<void> };

beforeAll(async () => {
  page = await buildAndServePage(here("./fixtures/waitpoints/page"), "wait-token-page");
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await page?.close();
});

describe("useWaitToken in Chromium", () => {
  it("approves with the token's public access token, resuming the run; the token then reads completed and a second click is refused", async () => {
    const approval = task({ id: "approval", run: async (p: { token: string }) => (await wait.forToken(p.token)).unwrap() });
    const engine = await startTestEngine("wp_react", { tasks: [approval], http: { port: 0 }, secretKey: SECRET });
    const token = await wait.createToken();
    const { id } = await approval.trigger({ token: token.id });
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 20_000);
    const query = new URLSearchParams({ api: engine.url!, waitpoint: token.id, token: token.publicAccessToken });

    const tab = await browser.newPage();
    try {
      await tab.goto(`${page.url}/?${query}`);
      await tab.waitForSelector("#state:text('waiting')");
      await tab.click("#approve");
      await tab.waitForSelector("#state:text('completed')");
      expect((await runs.poll(id, { timeoutMs: 20_000 })).output).toEqual({ approved: true });

      await tab.reload();
      await tab.waitForSelector("#state:text('completed')");
      await tab.click("#reject");
      await tab.waitForSelector("#error:text('WAITPOINT_COMPLETED')");
      expect(await wait.retrieveToken(token.id)).toMatchObject({ status: "COMPLETED", output: { approved: true } });

      // The token's access token is for its own waitpoint only.
      const other = await wait.createToken();
      await tab.goto(`${page.url}/?${new URLSearchParams({ api: engine.url!, waitpoint: other.id, token: token.publicAccessToken })}`);
      await tab.waitForSelector("#error:text('FORBIDDEN')");
      await tab.click("#approve");
      await tab.waitForSelector("#state:text('waiting')");
      expect((await wait.retrieveToken(other.id)).status).toBe("WAITING");
    } finally {
      await tab.close();
    }
  }, 60_000);

  it("shows, in useRunStatuses and useRealtimeRun, the waitpoint a WAITING run waits on, and drops it live when completeToken resumes the run", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const approval = task({
      id: "approval-shown",
      run: async (p: { token: string }, { io }) => {
        const result = (await wait.forToken(p.token)).unwrap();
        // Holds the resumed run EXECUTING, so the page must have seen the resume itself, not its end.
        await io.runTask("after", () => held);
        return result;
      },
    });
    const engine = await startTestEngine("wp_react_run", { tasks: [approval], http: { port: 0 }, secretKey: SECRET });
    const token = await wait.createToken({ timeout: "1h" });
    const { id } = await approval.trigger({ token: token.id });
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 20_000);
    const timeoutAt = (await wait.retrieveToken(token.id)).timeoutAt!.toISOString();
    expect((await runs.retrieve(id)).wait).toEqual({ kind: "waitpoint", waitpointId: token.id, timeoutAt: new Date(timeoutAt) });
    const runToken = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });

    const tab = await browser.newPage();
    try {
      await tab.goto(`${page.url}/?${new URLSearchParams({ api: engine.url!, run: id, token: runToken })}`);
      await tab.waitForSelector(`#statuses-wait:text-is('WAITING ${token.id}')`);
      await tab.waitForSelector(`#realtime-wait:text-is('WAITING ${token.id} ${timeoutAt}')`);

      await wait.completeToken(token.id, { approved: true });
      await tab.waitForSelector("#statuses-wait:text-is('EXECUTING -')", { timeout: 20_000 });
      await tab.waitForSelector("#realtime-wait:text-is('EXECUTING - -')", { timeout: 20_000 });
      expect((await runs.retrieve(id)).wait).toBeNull();
    } finally {
      release();
      await tab.close();
    }
    expect((await runs.poll(id, { timeoutMs: 20_000 })).output).toEqual({ approved: true });
  }, 60_000);
});
