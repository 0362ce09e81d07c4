import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { configure, disconnect, logger, runs, schedules, task } from "durably";
import { createEngine, type Engine, type EngineOptions } from "durably/engine";
import { client } from "../examples/meme-generator.ts";
import { TEST_DATABASE_URL } from "./helpers/db.ts";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SECRET = "dashboard-secret-key-0123456789";

const nightly = task({
  id: "unreachable-nightly",
  run: async () => {
    logger.info("nightly report written");
    return "done";
  },
});

let dashboard: DashboardUnderTest;
let restarted: Engine | undefined;
/** Where the first engine listened and what it served: each restart takes them over. */
let restartOptions: EngineOptions;

beforeAll(async () => {
  dashboard = await startDashboard("dashboard-down", { clients: [client], tasks: [nightly], secretKey: SECRET });
  const { schema, http } = dashboard.engine.options;
  restartOptions = {
    databaseUrl: TEST_DATABASE_URL, schema, clients: [client], tasks: [nightly], secretKey: SECRET, logLevel: "error", pollIntervalMs: 200,
    http: { port: Number(new URL(dashboard.engine.url!).port), ...(http?.dashboardDir ? { dashboardDir: http.dashboardDir } : {}) },
  };
}, 120_000);

/** A new engine on the stopped one's schema and port, serving the same dashboard build. */
async function restartEngine(): Promise<void> {
  await restarted?.stop();
  restarted = createEngine(restartOptions);
  await restarted.start();
}

afterAll(async () => {
  await disconnect();
  await restarted?.stop();
  await dashboard?.close();
});

describe("the dashboard when its engine stops answering", () => {
  it("shows why a run page cannot load instead of Loading, and shows the run once the engine is back, without a reload", async () => {
    const { engine, context } = dashboard;
    const { id: eventId } = await client.sendEvent({ name: "generate-memes", payload: {} });
    const [run] = await client.getEventRuns(eventId);
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    await tab.goto(engine.url!);
    await tab.getByTestId("login-key").fill(SECRET);
    await tab.getByTestId("login-submit").click();
    await tab.getByText(run!.id).first().waitFor({ timeout: 15_000 });

    // The page stays loaded while the engine is down; opening a run asks the engine for it.
    await engine.stop();
    await tab.evaluate((id) => (location.hash = `#/runs/${id}`), run!.id);
    const alert = tab.getByRole("alert");
    await alert.waitFor({ timeout: 30_000 });
    await expect(alert.textContent()).resolves.toContain("Could not load this run");
    await expect(alert.textContent()).resolves.toContain("The engine did not answer. Is it running?");
    await tab.screenshot({ path: here("../test-output/dashboard-engine-down.png") });

    await restartEngine();
    await tab.getByTestId("run-status").filter({ hasText: "SUCCESS" }).waitFor({ timeout: 30_000 });
    await expect(tab.getByRole("alert").count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await tab.close();
  }, 120_000);

  it("every other page (tasks, schedules, search, waitpoints, a run's Logs tab) says the engine did not answer, and shows its data once it is back, by itself", async () => {
    // Made through the running engine: a stopped engine no longer serves as this process's backend.
    configure({ baseUrl: restarted!.url!, secretKey: SECRET });
    await schedules.create({ task: "unreachable-nightly", cron: "0 2 * * *", deduplicationKey: "nightly" });
    const { id: logged } = await nightly.trigger(null);
    expect((await runs.poll(logged, { timeoutMs: 30_000 })).status).toBe("SUCCESS");
    const errors: string[] = [];
    const pages: { hash: string; cannot: string; data: (tab: Page) => Promise<void> }[] = [
      { hash: "#/tasks", cannot: "Could not load the tasks", data: (tab) => tab.getByTestId("task-row-unreachable-nightly").waitFor({ timeout: 30_000 }) },
      { hash: "#/schedules", cannot: "Could not load the schedules", data: (tab) => tab.getByTestId("schedule-row-nightly").waitFor({ timeout: 30_000 }) },
      { hash: "#/search?q=no-such-thing", cannot: "Could not search", data: (tab) => tab.getByText("Nothing found").waitFor({ timeout: 30_000 }) },
      { hash: "#/waitpoints", cannot: "Could not load waitpoints", data: (tab) => tab.getByText("No waitpoint tokens match").waitFor({ timeout: 30_000 }) },
      // A run page read before the stop keeps the run; its Logs tab, opened while down, reads the logs then.
      { hash: `#/runs/${logged}`, cannot: "Could not load the logs", data: (tab) => tab.getByTestId("log-line").first().waitFor({ timeout: 30_000 }) },
    ];
    // Each page's tab is loaded and signed in while the engine answers (it serves the dashboard too).
    const tabs = await Promise.all(pages.map(async () => {
      const tab = await dashboard.context.newPage();
      tab.on("pageerror", (e) => errors.push(e.message));
      await tab.goto(restarted!.url!);
      await tab.getByTestId("login-key").fill(SECRET);
      await tab.getByTestId("login-submit").click();
      await tab.getByTestId("runs-table").waitFor({ timeout: 15_000 });
      return tab;
    }));

    const runTab = tabs[pages.length - 1]!;
    await runTab.evaluate((hash) => (location.hash = hash), pages.at(-1)!.hash);
    await runTab.getByTestId("run-status").filter({ hasText: "SUCCESS" }).waitFor({ timeout: 15_000 });

    await restarted!.stop();
    await Promise.all(tabs.slice(0, -1).map((tab, n) => tab.evaluate((hash) => (location.hash = hash), pages[n]!.hash)));
    await runTab.getByTestId("run-tab-logs").click();
    for (const [n, { cannot }] of pages.entries()) {
      const alert = tabs[n]!.getByRole("alert").filter({ hasText: cannot });
      await alert.waitFor({ timeout: 30_000 });
      await expect(alert.textContent()).resolves.toContain(cannot);
      await expect(alert.textContent()).resolves.toContain("The engine did not answer. Is it running?");
    }
    await tabs[0]!.screenshot({ path: here("../test-output/dashboard-tasks-engine-down.png") });

    await restartEngine();
    for (const [n, { data }] of pages.entries()) {
      await data(tabs[n]!);
      await expect(tabs[n]!.getByRole("alert").count()).resolves.toBe(0);
    }
    expect(errors).toEqual([]);
    await Promise.all(tabs.map((tab) => tab.close()));
  }, 180_000);
});
