import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { task } from "durably";
import type { Engine } from "durably/engine";
import { client } from "../examples/meme-generator.ts";
import { importItems } from "../examples/import-items.ts";
import { metadataProgress } from "../examples/metadata-progress.ts";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { serviceOf } from "../engine/internal.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const shots = here("../test-output/screenshots");
const SECRET = "dashboard-secret-key-0123456789";

// The task that fails on purpose: "prepare" counts its executions, "save" throws while
// `failing` is set and waits for `hold` while it is set. One attempt everywhere, so the run
// fails at once instead of backing off.
const side: { prepareRuns: number; failing: boolean; hold: Promise<void> | null } = { prepareRuns: 0, failing: true, hold: null };
const flakyImport = task({
  id: "flaky-import",
  retry: { maxAttempts: 1 },
  run: async (payload: { rows?: number }, { io }) => {
    const prepared = await io.runTask("prepare", async () => {
      side.prepareRuns++;
      return { rows: payload.rows ?? 3 };
    });
    const saved = await io.runTask(
      "save",
      async () => {
        await side.hold;
        if (side.failing) throw new Error("warehouse is read-only");
        return prepared.rows;
      },
      { retry: { maxAttempts: 1 } },
    );
    return { saved };
  },
});

// Chromium has no network here: the meme's giphy URL gets a local picture instead.
const MEME_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160" viewBox="0 0 240 160">
<rect width="240" height="160" fill="#1e293b"/><text x="120" y="70" font-family="Impact,sans-serif" font-size="26" fill="#fff" text-anchor="middle">ONE DOES NOT</text>
<text x="120" y="110" font-family="Impact,sans-serif" font-size="26" fill="#fff" text-anchor="middle">SIMPLY REPLAY</text></svg>`;

let dashboard: DashboardUnderTest;
let context: BrowserContext;
let engine: Engine;
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  dashboard = await startDashboard("dashboard", { clients: [client], tasks: [metadataProgress, importItems, flakyImport], secretKey: SECRET });
  ({ engine, context } = dashboard);
  await context.route(/giphy\.gif/, (route) => route.fulfill({ contentType: "image/svg+xml", body: MEME_SVG }));
}, 120_000);

afterAll(async () => {
  await dashboard?.close();
});

/** A new tab, signed in unless `signIn` is false: the key is kept per tab (sessionStorage), so each tab asks once. */
async function openDashboard({ signIn = true } = {}): Promise<Page> {
  const tab = await context.newPage();
  tab.on("pageerror", (e) => pageErrors.push(e.message));
  // What the page showed when a step failed is the fastest way to see why.
  onTestFailed(async ({ task: test }) => {
    await tab.screenshot({ path: `${shots}/failed-${test.name.slice(0, 20).replace(/\W+/g, "-")}.png`, fullPage: true }).catch(() => undefined);
  });
  await tab.goto(engine.url!);
  if (signIn) {
    await tab.getByTestId("login-key").fill(SECRET);
    await tab.getByTestId("login-submit").click();
  }
  return tab;
}

/** Trigger page: pick the task, write the payload, submit, and be on the new run's page. */
async function triggerFromDashboard(tab: Page, taskId: string, payload: unknown, tags?: string): Promise<string> {
  await tab.locator(".nav").getByRole("link", { name: "Trigger" }).click();
  await tab.getByTestId("trigger-task-select").selectOption(taskId);
  await tab.getByTestId("trigger-payload").fill(JSON.stringify(payload, null, 2));
  if (tags) await tab.getByTestId("trigger-tags").fill(tags);
  await tab.getByTestId("trigger-submit").click();
  // A task's run opens at once; an event (a v2 job) lists the runs it started, to follow.
  await tab.locator('[data-testid="trigger-run-link"], [data-testid="run-status"]').first().waitFor();
  if (await tab.getByTestId("trigger-run-link").count()) await tab.getByTestId("trigger-run-link").first().click();
  await tab.waitForURL(/#\/runs\/run_[0-9a-z]+$/);
  return tab.url().split("/").at(-1)!;
}

/** Formats an instant the way the dashboard does, in the browser's own locale and time zone. */
const clockInPage = (tab: Page, iso: string) =>
  tab.evaluate(
    (at) =>
      new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3 }).format(
        new Date(at),
      ),
    iso,
  );

describe("the dashboard in Chromium", () => {
  it("signs in, triggers the meme job, and shows its status go from loading to success with its history", async () => {
    const tab = await openDashboard({ signIn: false });
    // A secret key is set: the dashboard asks for it once, then keeps it for this tab.
    await tab.getByTestId("login-key").fill(SECRET);
    await tab.getByTestId("login-submit").click();
    await tab.getByText("No runs yet").waitFor();

    const runId = await triggerFromDashboard(tab, "meme-generator", {});
    const status = tab.getByTestId("status-generating-memes");
    // The job waits 2 s between the two versions: the first one is seen live.
    await status.getByText("loading", { exact: true }).waitFor({ timeout: 10_000 });
    await expect(status.textContent()).resolves.toContain("Generating memes");
    await status.getByText("success", { exact: true }).waitFor({ timeout: 15_000 });
    await status.locator('img[src*="giphy.gif"]').waitFor();
    await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 15_000 });
    await expect(status.getByRole("progressbar").getAttribute("aria-valuenow")).resolves.toBe("100");

    // The earlier version, with the time it was shown.
    await tab.getByTestId("status-history-toggle-generating-memes").click();
    const history = tab.getByTestId("status-history-generating-memes");
    await history.waitFor();
    const { statuses } = await client.getRunStatuses(runId);
    const earlier = statuses[0]!.history;
    expect(earlier).toHaveLength(1);
    expect(earlier[0]).toMatchObject({ state: "loading", label: "Generating memes" });
    const row = history.locator("tbody tr");
    await expect(row.count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toContain("loading");
    await expect(row.textContent()).resolves.toContain(await clockInPage(tab, new Date(earlier[0]!.at).toISOString()));
    await expect(row.textContent()).resolves.toContain("10%");

    await expect(tab.getByTestId("run-output").textContent()).resolves.toContain("memes");
    await tab.screenshot({ path: `${shots}/meme-run.png`, fullPage: true, animations: "disabled" });
    await tab.close();
  });

  it("shows a failed run with its error, and Retry resumes it from the failed step", async () => {
    side.failing = true;
    side.prepareRuns = 0;
    const tab = await openDashboard();
    const runId = await triggerFromDashboard(tab, "flaky-import", { rows: 3 });

    await tab.getByTestId("run-status").getByText("FAILURE").waitFor({ timeout: 15_000 });
    const error = tab.getByTestId("run-error");
    await error.waitFor();
    await expect(error.textContent()).resolves.toContain("warehouse is read-only");
    await expect(error.locator("pre").textContent()).resolves.toMatch(/at .*browser-dashboard\.test\.ts/);
    // The journal (seq from 1): "prepare" completed, "save" failed.
    const prepare = tab.getByTestId("journal-entry-1");
    const save = tab.getByTestId("journal-entry-2");
    await expect(prepare.textContent()).resolves.toContain("prepare");
    await expect(save.locator(".error-toggle").textContent()).resolves.toContain("Error: warehouse is read-only");
    // The stack opens in a row of its own under the failed entry.
    await save.locator(".error-toggle").click();
    await expect(tab.locator(".row-stack pre").textContent()).resolves.toMatch(/warehouse is read-only\n\s+at /);
    const prepareBefore = await prepare.textContent();
    expect(side.prepareRuns).toBe(1);
    await tab.screenshot({ path: `${shots}/failed-run.png`, fullPage: true, animations: "disabled" });

    side.failing = false;
    // "save" waits until the note is read: the note goes once the retried run has finished.
    let releaseSave: () => void = () => undefined;
    side.hold = new Promise((resolve) => (releaseSave = resolve));
    await tab.getByTestId("retry-button").click();
    await expect(tab.getByTestId("action-result").textContent()).resolves.toContain("resumes");
    releaseSave();
    side.hold = null;
    await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 15_000 });
    await tab.getByTestId("run-error").waitFor({ state: "detached" });
    await save.filter({ hasNotText: "read-only" }).waitFor();
    await expect(tab.getByTestId("run-output").textContent()).resolves.toContain("saved");

    // "prepare" ran once in all: its side effect, and its journal row is the very same one.
    expect(side.prepareRuns).toBe(1);
    await expect(prepare.textContent()).resolves.toBe(prepareBefore);
    await expect(tab.locator('[data-testid^="journal-entry-"]').count()).resolves.toBe(2);
    const journal = (await (
      await fetch(`${engine.url}/api/runs/${runId}/journal`, { headers: { authorization: `Bearer ${SECRET}` } })
    ).json()) as { entries: { key: string; attempts: number; status: string }[] };
    expect(journal.entries.map((e) => [e.key, e.status])).toEqual([
      ["prepare", "completed"],
      ["save", "completed"],
    ]);
    expect(journal.entries[0]!.attempts).toBe(1);
    await tab.screenshot({ path: `${shots}/retried-run.png`, fullPage: true, animations: "disabled" });
    await tab.close();
  });

  it("shows a long import with its progress bar and timeline, and lists every run with counts", async () => {
    const tab = await openDashboard();
    const runId = await triggerFromDashboard(tab, "import-items", { items: 80, batchSize: 20, delayMs: 250 }, "source:csv, team:growth");
    await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 20_000 });
    await tab.getByTestId("status-import").getByText("Imported 80 items").waitFor();
    await expect(tab.locator('[data-testid^="journal-entry-"]').count()).resolves.toBe(11);
    await expect(tab.getByTestId("journal-entry-8").textContent()).resolves.toContain("cool-down");
    await tab.mouse.move(0, 0);
    await tab.screenshot({ path: `${shots}/import-run.png`, animations: "disabled" });
    // The README's picture: `UPDATE_README_SCREENSHOT=1 npx vitest run test/browser-dashboard.test.ts`.
    if (process.env.UPDATE_README_SCREENSHOT) await copyFile(`${shots}/import-run.png`, here("../docs/dashboard.png"));

    await tab.locator(".nav").getByRole("link", { name: "Runs" }).click();
    const table = tab.getByTestId("runs-table");
    await table.waitFor();
    await tab.getByTestId(`run-row-${runId}`).waitFor();
    await expect(table.locator("tbody tr").count()).resolves.toBe(3);
    await tab.screenshot({ path: `${shots}/runs-list.png`, fullPage: true, animations: "disabled" });
    await tab.close();
    expect(pageErrors).toEqual([]);
  });

  it("shows a retried run's final journal even when the journal was refetched before the run finished", async () => {
    side.failing = true;
    const tab = await openDashboard();
    const runId = await triggerFromDashboard(tab, "flaky-import", { rows: 2 });
    await tab.getByTestId("run-status").getByText("FAILURE").waitFor({ timeout: 15_000 });
    const save = tab.getByTestId("journal-entry-2");
    await save.filter({ hasText: "read-only" }).waitFor();

    // Retry refetches the run's snapshots side by side. Here the journal lands while "save" is
    // still running again, and the run and its statuses only once the run has finished.
    side.failing = false;
    let releaseSave: () => void = () => undefined;
    side.hold = new Promise((resolve) => (releaseSave = resolve));
    let releaseSnapshots: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (releaseSnapshots = resolve));
    const late = new RegExp(`/api/runs/${runId}(/statuses)?(\\?.*)?$`);
    await tab.route(late, async (route) => {
      await finished;
      await route.continue();
    });
    const journalFetched = tab.waitForResponse(new RegExp(`/api/runs/${runId}/journal(\\?.*)?$`));
    await tab.getByTestId("retry-button").click();
    await journalFetched;
    releaseSave();
    side.hold = null;
    await expect(serviceOf(engine).pollRun(runId, 15_000)).resolves.toMatchObject({ status: "SUCCESS" });
    releaseSnapshots();

    await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 15_000 });
    await save.filter({ hasNotText: "read-only" }).waitFor({ timeout: 5_000 });
    await expect(save.textContent()).resolves.toContain("save");
    await tab.unroute(late);
    await tab.close();
    expect(pageErrors).toEqual([]);
  });
});
