// The Trigger page's options and what the dashboard shows after an action: the result boxes, the
// retry banner, and status images, in real Chromium against a real engine.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { Client, eventTrigger, task } from "durably";
import type { Engine } from "durably/engine";
import { metadataProgress } from "../examples/metadata-progress.ts";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { serviceOf } from "../engine/internal.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const shots = here("../test-output/screenshots");
const SECRET = "trigger-page-secret-0123456789ab";

// Chromium has no network here: one picture is served locally, the other never loads.
const GOOD_IMAGE = "https://images.example.com/team/photo-ok.svg";
const BROKEN_IMAGE = "https://images.example.com/team/photo-missing.gif";
const PHOTO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120"><rect width="200" height="120" fill="#1e293b"/></svg>`;

const client = new Client({ id: "trigger-page" });
client.defineJob({
  id: "team-gallery",
  name: "Team gallery",
  version: "1.0.0",
  trigger: eventTrigger({ name: "show-gallery" }),
  run: async (_payload, io) => {
    await io.createStatus("gallery", { label: "Team photos", state: "success", data: { urls: [GOOD_IMAGE, BROKEN_IMAGE] } });
    return { shown: 2 };
  },
});

// Fails its one step while `failing` is set, and waits at it for `hold` while that is set.
const side: { failing: boolean; hold: Promise<void> | null } = { failing: true, hold: null };
const flakySave = task({
  id: "flaky-save",
  retry: { maxAttempts: 1 },
  run: async (_payload: unknown, { io }) => {
    await io.runTask(
      "save",
      async () => {
        await side.hold;
        if (side.failing) throw new Error("disk full");
        return 1;
      },
      { retry: { maxAttempts: 1 } },
    );
    return { saved: true };
  },
});

let dashboard: DashboardUnderTest;
let context: BrowserContext;
let engine: Engine;
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  dashboard = await startDashboard("dashboard-trigger", { clients: [client], tasks: [metadataProgress, flakySave], secretKey: SECRET });
  ({ engine, context } = dashboard);
  await context.route(GOOD_IMAGE, (route) => route.fulfill({ contentType: "image/svg+xml", body: PHOTO_SVG }));
  await context.route(BROKEN_IMAGE, (route) => route.fulfill({ status: 404, body: "gone" }));
}, 120_000);

afterAll(async () => {
  await dashboard?.close();
});

async function openTrigger(): Promise<Page> {
  const tab = await context.newPage();
  tab.on("pageerror", (e) => pageErrors.push(e.message));
  onTestFailed(async ({ task: test }) => {
    await tab.screenshot({ path: `${shots}/failed-trigger-${test.name.slice(0, 20).replace(/\W+/g, "-")}.png`, fullPage: true }).catch(() => undefined);
  });
  await tab.goto(engine.url!);
  // The key is kept per tab (sessionStorage): each new tab asks for it once.
  await tab.getByTestId("login-key").fill(SECRET);
  await tab.getByTestId("login-submit").click();
  await tab.locator(".nav").getByRole("link", { name: "Trigger" }).click();
  await tab.getByTestId("trigger-submit").waitFor();
  return tab;
}

const isTriggerCall = (method: string, url: string) => method === "POST" && /\/api\/tasks\/[^/]+\/trigger$/.test(url);

/** Submits the form and returns the id of the run it started, once the page has opened that run. */
async function submitForRun(tab: Page): Promise<string> {
  const answered = tab.waitForResponse((response) => isTriggerCall(response.request().method(), response.url()));
  await tab.getByTestId("trigger-submit").click();
  const { id } = (await (await answered).json()) as { id: string };
  await tab.waitForURL(new RegExp(`#/runs/${id}$`));
  return id;
}

/** Every line box of `inner` lies within `outer`'s border box. */
async function liesWithin(inner: Locator, outer: Locator): Promise<boolean> {
  const box = (await outer.boundingBox())!;
  const rects = await inner.evaluate((el) => Array.from(el.getClientRects(), (r) => ({ left: r.left, right: r.right })));
  return rects.every((r) => r.left >= box.x - 0.5 && r.right <= box.x + box.width + 0.5);
}

const triggerRequests = (tab: Page) => {
  const bodies: unknown[] = [];
  tab.on("request", (request) => {
    if (isTriggerCall(request.method(), request.url())) bodies.push(request.postDataJSON());
  });
  return bodies;
};

describe("the Trigger page's options", () => {
  it("triggers metadata-progress with metadata from the Options, and the run shows it in its metadata and output", async () => {
    const tab = await openTrigger();
    const sent = triggerRequests(tab);
    await tab.getByTestId("trigger-task-select").selectOption("metadata-progress");
    await tab.getByTestId("trigger-payload").fill(JSON.stringify({ message: "hello" }));
    // Closed until asked for: the common case is a payload and a click.
    await expect(tab.getByTestId("trigger-metadata").count()).resolves.toBe(0);
    await tab.getByTestId("trigger-options-toggle").click();
    await tab.getByTestId("trigger-metadata").fill(JSON.stringify({ user: { name: "Ada" }, plan: "pro" }));
    const runId = await submitForRun(tab);
    expect(sent).toEqual([{ payload: { message: "hello" }, options: { metadata: { user: { name: "Ada" }, plan: "pro" } } }]);

    await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 20_000 });
    await expect(tab.getByTestId("run-output").textContent()).resolves.toContain("Ada");
    const current = tab.getByTestId("metadata-current");
    await expect(current.textContent()).resolves.toContain("Ada");
    await expect(current.textContent()).resolves.toContain("pro");
    const run = await client.getRun(runId);
    expect(run.metadata).toMatchObject({ user: { name: "Ada" }, plan: "pro" });
    expect(run.output).toEqual({ greeted: "Ada", message: "hello" });
    await tab.close();
  });

  it("shows an inline error for metadata that is not JSON or not an object, and for a bad delay, and sends nothing", async () => {
    const tab = await openTrigger();
    const sent = triggerRequests(tab);
    await tab.getByTestId("trigger-task-select").selectOption("metadata-progress");
    await tab.getByTestId("trigger-options-toggle").click();
    const metadata = tab.getByTestId("trigger-metadata");
    const error = tab.getByTestId("trigger-metadata-error");

    await metadata.fill('{"user": ');
    await expect(error.textContent()).resolves.toMatch(/^Invalid JSON: /);
    await tab.getByTestId("trigger-submit").click();
    await metadata.fill('["Ada"]');
    await expect(error.textContent()).resolves.toContain("must be a JSON object");
    await tab.getByTestId("trigger-submit").click();

    // An error hidden in the closed Options opens them on submit instead of failing silently.
    await tab.getByTestId("trigger-options-toggle").click();
    await expect(metadata.count()).resolves.toBe(0);
    await tab.getByTestId("trigger-submit").click();
    await expect(error.textContent()).resolves.toContain("must be a JSON object");

    await metadata.fill('{"user": {"name": "Ada"}}');
    await error.waitFor({ state: "detached" });
    await tab.getByTestId("trigger-delay").fill("tomorrow");
    await expect(tab.getByTestId("trigger-delay-error").textContent()).resolves.toContain("30s");
    await tab.getByTestId("trigger-submit").click();
    await tab.screenshot({ path: `${shots}/trigger-options-errors.png`, fullPage: true, animations: "disabled" });

    await expect(tab.getByTestId("trigger-result").count()).resolves.toBe(0);
    expect(sent).toEqual([]);
    await tab.close();
  });

  it("opens the same run for a second trigger with the same idempotency key", async () => {
    const tab = await openTrigger();
    const triggerWithKey = async (key: string) => {
      await tab.locator(".nav").getByRole("link", { name: "Trigger" }).click();
      await tab.getByTestId("trigger-task-select").selectOption("metadata-progress");
      await tab.getByTestId("trigger-options-toggle").click();
      await tab.getByTestId("trigger-idempotency-key").fill(key);
      return submitForRun(tab);
    };
    const first = await triggerWithKey("welcome-ada");
    await tab.locator(".details").getByText("welcome-ada").waitFor();
    await expect(triggerWithKey("welcome-ada")).resolves.toBe(first);
    // Without the key, the same form starts a new run.
    await expect(triggerWithKey("")).resolves.not.toBe(first);
    await tab.close();
  });

  it("takes a delay in bare seconds, and the run waits instead of starting at once", async () => {
    const tab = await openTrigger();
    const sent = triggerRequests(tab);
    await tab.getByTestId("trigger-task-select").selectOption("metadata-progress");
    await tab.getByTestId("trigger-options-toggle").click();
    await tab.getByTestId("trigger-delay").fill("90");
    const runId = await submitForRun(tab);
    expect(sent).toEqual([{ payload: {}, options: { delay: "90" } }]);

    // A run of the same task triggered later, with no delay, starts and finishes: an undelayed run
    // would have started before it.
    const { id: later } = await serviceOf(engine).trigger({ taskId: "metadata-progress", payload: {} });
    await expect(serviceOf(engine).pollRun(later, 20_000)).resolves.toMatchObject({ status: "SUCCESS" });
    await expect(client.getRun(runId)).resolves.toMatchObject({ status: "QUEUED" });
    await tab.getByTestId("run-status").getByText("QUEUED").waitFor();
    await tab.getByTestId("cancel-button").click();
    await tab.getByTestId("run-status").getByText("CANCELED").waitFor({ timeout: 10_000 });
    await tab.close();
  });
});

describe("the dashboard after an action", () => {
  it("keeps the event and run ids inside the green result box after Send event, whole", async () => {
    const tab = await openTrigger();
    await tab.getByTestId("trigger-task-select").selectOption("team-gallery");
    await tab.getByTestId("trigger-submit").click();
    const result = tab.getByTestId("trigger-result");
    await result.waitFor();
    const runLink = tab.getByTestId("trigger-run-link");
    const runId = (await runLink.textContent())!.trim();
    const { runs } = await serviceOf(engine).getEvent((await result.locator('a[href*="/events/"]').textContent())!.trim());
    expect(runs.map((r) => r.id)).toEqual([runId]);

    for (const link of await result.locator("a").all()) {
      await expect(liesWithin(link, result)).resolves.toBe(true);
    }
    const overflow = await result.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // Wrapped, not cut: the whole id is still there to read and copy.
    await expect(runLink.innerText()).resolves.toBe(runId);
    await tab.screenshot({ path: `${shots}/send-event-result.png`, animations: "disabled" });
    await tab.close();
  });

  it("drops the Retry queued banner once the retried run has finished", async () => {
    side.failing = true;
    const tab = await openTrigger();
    await tab.getByTestId("trigger-task-select").selectOption("flaky-save");
    const runId = await submitForRun(tab);
    await tab.getByTestId("run-status").getByText("FAILURE").waitFor({ timeout: 15_000 });

    side.failing = false;
    let release: () => void = () => undefined;
    side.hold = new Promise((resolve) => (release = resolve));
    await tab.getByTestId("retry-button").click();
    const banner = tab.getByTestId("action-result");
    await expect(banner.textContent()).resolves.toContain("resumes from its journal");
    // While the retried run is under way the banner still says what is happening.
    await tab.getByTestId("run-status").getByText("EXECUTING").waitFor({ timeout: 15_000 });
    await expect(banner.textContent()).resolves.toContain("resumes from its journal");

    release();
    side.hold = null;
    await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 15_000 });
    await banner.waitFor({ state: "detached", timeout: 5_000 });
    await tab.close();
  });

  it("gives status images alt text, and shows the link of an image that cannot load", async () => {
    const tab = await openTrigger();
    await tab.getByTestId("trigger-task-select").selectOption("team-gallery");
    await tab.getByTestId("trigger-submit").click();
    await tab.getByTestId("trigger-run-link").first().click();
    const status = tab.getByTestId("status-gallery");
    await status.waitFor({ timeout: 15_000 });

    const good = status.locator(`img[src="${GOOD_IMAGE}"]`);
    await good.waitFor();
    await expect(good.getAttribute("alt")).resolves.toBe("Team photos, image 1 of 2");
    await expect(good.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).resolves.toBe(true);

    const broken = status.getByTestId("status-image-broken");
    await broken.waitFor();
    await expect(status.locator(`img[src="${BROKEN_IMAGE}"]`).count()).resolves.toBe(0);
    await expect(broken.getAttribute("href")).resolves.toBe(BROKEN_IMAGE);
    await expect(broken.textContent()).resolves.toContain(BROKEN_IMAGE);
    await expect(broken.textContent()).resolves.toContain("Team photos, image 2 of 2");
    await expect(liesWithin(broken, status)).resolves.toBe(true);
    await tab.screenshot({ path: `${shots}/status-images.png`, fullPage: true, animations: "disabled" });
    await tab.close();
    expect(pageErrors).toEqual([]);
  });
});
