import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metadata, schedules, task } from "durably";
import type { Page } from "playwright-core";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { SCREENSHOTS_DIR, openSignedIn } from "./helpers/dashboard-tab.ts";
import { sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";
import { serviceOf } from "../engine/internal.ts";

const SECRET = "pages-dashboard-secret-0123456789";

const report = task({
  id: "nightly-report",
  version: "2026.12.07",
  queue: { name: "reports", concurrencyLimit: 2 },
  retry: { maxAttempts: 1 },
  run: async (payload: { fail?: boolean }, { io }) => {
    await io.runTask("render", async () => 1);
    if (payload.fail) throw new Error("the warehouse was down");
    return { pages: 12 };
  },
});
const quiet = task({ id: "quiet", run: async (payload: { long?: number }) => {
  await metadata.set("progress", 0.4);
  if (payload.long) await metadata.set("notes", "lorem ipsum ".repeat(payload.long));
  return null;
} });
const bare = task({ id: "bare", run: async () => "nothing journaled" });
const beat = task({ id: "beat", run: async () => null });

let dashboard: DashboardUnderTest;
const pageErrors: string[] = [];
const open = (hash = "") => openSignedIn(dashboard.context, dashboard.engine.url!, SECRET, pageErrors, hash);

beforeAll(async () => {
  dashboard = await startDashboard("pages", { tasks: [report, quiet, bare, beat], secretKey: SECRET });
}, 120_000);

afterAll(async () => {
  await dashboard?.close();
});

const finished = (id: string) => serviceOf(dashboard.engine).pollRun(id, 30_000);

describe("the Tasks page", () => {
  it("lists each task with its versions, queue, runs per status of the last hour, p50/p95 and a sparkline", async () => {
    // An older deploy registered another version of the report.
    await sql(`INSERT INTO "${dashboard.engine.options.schema}".tasks (id, version, kind, registered_at) VALUES ('nightly-report', '2026.12.01', 'task', now() - interval '6 days')`);
    for (const payload of [{}, {}, { fail: true }]) await finished((await report.trigger(payload)).id);
    const tab = await open("#/tasks");
    const row = tab.getByTestId("task-row-nightly-report");
    await row.waitFor();
    await expect(row.getByTestId("task-versions").textContent()).resolves.toBe("2026.12.07 +1 earlier");
    await expect(row.getByTestId("task-versions").getAttribute("title")).resolves.toBe("2026.12.07, 2026.12.01");
    await expect(row.getByTestId("task-queue").textContent()).resolves.toBe("reports · limit 2");
    const counts = await row.getByTestId("task-counts").locator(".status-count").evaluateAll((els) => els.map((el) => `${el.getAttribute("data-status")}:${el.textContent!.trim()}`));
    expect(counts).toEqual(["SUCCESS:2", "FAILURE:1"]);
    await expect(row.getByTestId("task-p50").textContent()).resolves.toMatch(/\d+(ms|\.\d+s)/);
    await expect(row.getByTestId("task-p95").textContent()).resolves.toMatch(/\d+(ms|\.\d+s)/);
    const sparkline = (await row.locator("svg.sparkline").getAttribute("data-values"))!.split(",").map(Number);
    expect(sparkline).toHaveLength(12);
    expect(sparkline.reduce((a, b) => a + b, 0)).toBe(3);
    expect(sparkline.at(-1)).toBe(3);
    await expect(tab.getByTestId("task-row-quiet").getByTestId("task-counts").textContent()).resolves.toContain("no runs");
    await tab.screenshot({ path: `${SCREENSHOTS_DIR}/tasks-page.png`, animations: "disabled" });
    expect(pageErrors).toEqual([]);
    await tab.close();
  });
});

describe("the Schedules page", () => {
  it("shows cron, timezone, next and last runs, and pauses, resumes and deletes a schedule", async () => {
    await schedules.create({ task: "beat", cron: "* * * * * *", deduplicationKey: "every-second" });
    await schedules.create({ task: "nightly-report", cron: "0 2 * * *", timezone: "Europe/Paris", deduplicationKey: "nightly" });
    await until(async () => ((await schedules.list()).find((s) => s.deduplicationKey === "every-second")?.lastRun ? true : undefined), 20_000);
    const tab = await open("#/schedules");
    const nightly = tab.getByTestId("schedule-row-nightly");
    await nightly.waitFor();
    await expect(nightly.textContent()).resolves.toContain("0 2 * * *");
    await expect(nightly.textContent()).resolves.toContain("Europe/Paris");
    await expect(nightly.getByTestId("schedule-last").textContent()).resolves.toBe("never");
    await expect(nightly.getByTestId("schedule-next").textContent()).resolves.toMatch(/\d{4}/);
    const beating = tab.getByTestId("schedule-row-every-second");
    await expect.poll(() => beating.getByTestId("schedule-last").textContent(), { timeout: 10_000 }).not.toBe("never");
    await tab.screenshot({ path: `${SCREENSHOTS_DIR}/schedules-page.png`, animations: "disabled" });

    await nightly.getByTestId("schedule-toggle").click();
    await nightly.getByTestId("schedule-state").getByText("paused").waitFor();
    await expect(nightly.getByTestId("schedule-next").textContent()).resolves.toBe("paused");
    expect((await schedules.list()).find((s) => s.deduplicationKey === "nightly")).toMatchObject({ active: false, nextRun: null });
    await nightly.getByTestId("schedule-toggle").click();
    await nightly.getByTestId("schedule-state").getByText("active").waitFor();
    expect((await schedules.list()).find((s) => s.deduplicationKey === "nightly")).toMatchObject({ active: true });

    tab.once("dialog", (dialog) => void dialog.accept());
    await beating.getByTestId("schedule-delete").click();
    await beating.waitFor({ state: "detached" });
    expect((await schedules.list()).map((s) => s.deduplicationKey)).toEqual(["nightly"]);
    expect(pageErrors).toEqual([]);
    await tab.close();
  });
});

describe("the header search", () => {
  const search = async (tab: Page, text: string) => {
    await tab.getByTestId("header-search").fill(text);
    await tab.getByTestId("header-search").press("Enter");
  };

  it("opens a run by its id or idempotency key and an event by its id, and lists several matches", async () => {
    const one = await report.trigger({}, { idempotencyKey: "report-2026-12-07" });
    const other = await quiet.trigger({}, { idempotencyKey: "shared-key" });
    const third = await bare.trigger({}, { idempotencyKey: "shared-key" });
    const event = await serviceOf(dashboard.engine).sendEvent({ name: "nobody.listens", payload: {} });
    const tab = await open("#/runs");

    await search(tab, one.id);
    await tab.waitForURL(new RegExp(`#/runs/${one.id}$`));
    await search(tab, "report-2026-12-07");
    await tab.waitForURL(new RegExp(`#/runs/${one.id}$`));
    await search(tab, event.id);
    await tab.waitForURL(new RegExp(`#/events/${event.id}$`));
    // Back returns to where the search was made, not to the search page that redirected.
    await tab.goBack();
    await tab.waitForURL(new RegExp(`#/runs/${one.id}$`));

    await search(tab, "shared-key");
    await tab.waitForURL(/#\/search\?q=shared-key$/);
    const runs = tab.getByTestId("search-runs");
    await runs.waitFor();
    await expect(runs.textContent()).resolves.toContain(other.id);
    await expect(runs.textContent()).resolves.toContain(third.id);
    await tab.screenshot({ path: `${SCREENSHOTS_DIR}/search-page.png`, animations: "disabled" });

    await search(tab, "no-such-thing");
    await tab.getByText("Nothing found").waitFor();
    expect(pageErrors).toEqual([]);
    await tab.close();
  });
});

describe("the run page's metadata and wording", () => {
  it("shows a progress value as a bar, collapses a long value behind 'show all', and words a finished run with no io calls", async () => {
    const withMetadata = await quiet.trigger({ long: 300 });
    await finished(withMetadata.id);
    const tab = await open(`#/runs/${withMetadata.id}`);
    const current = tab.getByTestId("metadata-current");
    await current.waitFor();
    await expect(current.getByRole("progressbar").getAttribute("aria-valuenow")).resolves.toBe("40");
    // The change that set it, in the dense history table, is cut too.
    const change = tab.getByTestId("metadata-history").locator("tbody tr").filter({ hasText: "notes" });
    expect((await change.textContent())!.length).toBeLessThan(200);
    const collapsed = current.getByTestId("collapsed-notes");
    await collapsed.waitFor();
    expect((await collapsed.textContent())!.length).toBeLessThan(300);
    const before = await tab.evaluate(() => document.documentElement.scrollHeight);
    await current.getByTestId("show-all-notes").click();
    await current.getByText("show less").waitFor();
    await expect(current.textContent()).resolves.toContain("lorem ipsum ".repeat(300).trim());
    expect(await tab.evaluate(() => document.documentElement.scrollHeight)).toBeGreaterThan(before);

    const nothing = await bare.trigger({});
    await finished(nothing.id);
    await tab.goto(`${dashboard.engine.url}/#/runs/${nothing.id}`);
    await tab.getByTestId("journal-empty").getByText("This run finished without making any io calls.").waitFor();
    expect(pageErrors).toEqual([]);
    await tab.close();
  });
});
