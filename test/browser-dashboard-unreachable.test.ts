import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "durably/engine";
import { client } from "../examples/meme-generator.ts";
import { TEST_DATABASE_URL } from "./helpers/db.ts";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SECRET = "dashboard-secret-key-0123456789";

let dashboard: DashboardUnderTest;
let restarted: Engine | undefined;

beforeAll(async () => {
  dashboard = await startDashboard("dashboard-down", { clients: [client], tasks: [], secretKey: SECRET });
}, 120_000);

afterAll(async () => {
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
    const { schema, http } = engine.options;
    const port = Number(new URL(engine.url!).port);
    await engine.stop();
    await tab.evaluate((id) => (location.hash = `#/runs/${id}`), run!.id);
    const alert = tab.getByRole("alert");
    await alert.waitFor({ timeout: 30_000 });
    await expect(alert.textContent()).resolves.toContain("Could not load this run");
    await expect(alert.textContent()).resolves.toContain("The engine did not answer. Is it running?");
    await tab.screenshot({ path: here("../test-output/dashboard-engine-down.png") });

    restarted = createEngine({
      databaseUrl: TEST_DATABASE_URL, schema, clients: [client], secretKey: SECRET, logLevel: "error", pollIntervalMs: 200,
      http: { port, ...(http?.dashboardDir ? { dashboardDir: http.dashboardDir } : {}) },
    });
    await restarted.start();
    await tab.getByTestId("run-status").filter({ hasText: "SUCCESS" }).waitFor({ timeout: 30_000 });
    await expect(tab.getByRole("alert").count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await tab.close();
  }, 120_000);
});
