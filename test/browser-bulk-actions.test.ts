import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { runs, task } from "durably";
import type { Engine } from "durably/engine";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const shots = here("../test-output/screenshots");
const SECRET = "bulk-dashboard-secret-0123456789";

let broken = true;
const flaky = task({
  id: "bulk-ui-flaky",
  retry: { maxAttempts: 1 },
  run: async () => {
    if (broken) throw new Error("bad deploy");
    return "repaired";
  },
});

let dashboard: DashboardUnderTest;
let context: BrowserContext;
let engine: Engine;
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  dashboard = await startDashboard("bulk-dashboard", { tasks: [flaky], secretKey: SECRET });
  ({ engine, context } = dashboard);
}, 120_000);
afterAll(() => dashboard?.close());

async function openRuns(query: string): Promise<Page> {
  const tab = await context.newPage();
  tab.on("pageerror", (e) => pageErrors.push(e.message));
  await tab.goto(engine.url!);
  await tab.getByTestId("login-key").fill(SECRET);
  await tab.getByTestId("login-submit").click();
  await tab.goto(`${engine.url!}/#/runs?${query}`);
  await tab.getByTestId("runs-table").waitFor();
  return tab;
}

describe("bulk actions on the runs page", () => {
  it("acts on picked runs, or on all runs matching the filters after confirming their count, with a progress bar", async () => {
    const failed: string[] = [];
    for (let i = 0; i < 3; i++) failed.push((await flaky.trigger({})).id);
    for (const id of failed) expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("FAILURE");

    const tab = await openRuns("task=bulk-ui-flaky&status=FAILURE");
    for (const id of failed) await tab.getByTestId(`run-row-${id}`).waitFor();

    // One run picked by hand: replayed (a new run), the others untouched.
    await tab.getByTestId(`select-${failed[0]}`).check();
    await expect(tab.getByTestId("bulk-bar").textContent()).resolves.toContain("1 selected");
    await tab.getByTestId("bulk-replay").click();
    await expect(tab.getByTestId("bulk-confirm").textContent()).resolves.toContain("Replay 1 run?");
    await tab.getByTestId("bulk-confirm-button").click();
    await tab.getByTestId("bulk-close").waitFor();
    await expect(tab.getByTestId("bulk-progress").textContent()).resolves.toContain("1 of 1 runs — 1 done, 0 could not be");
    await tab.getByTestId("bulk-close").click();

    // Every run matching the filters (the replay failed too): counted by the engine before anything is done.
    const [replay] = (await runs.list({ taskIdentifier: "bulk-ui-flaky", limit: 1 })).data;
    expect((await runs.poll(replay!.id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
    failed.push(replay!.id);
    await tab.getByTestId(`select-${failed[1]}`).check();
    await tab.getByTestId("select-all-matching").click();
    await expect(tab.getByTestId("bulk-bar").textContent()).resolves.toContain("All runs matching the filters");
    await tab.getByTestId("bulk-retry").click();
    await expect(tab.getByTestId("bulk-confirm").textContent()).resolves.toContain("Retry 4 runs?");
    await tab.screenshot({ path: `${shots}/bulk-confirm.png`, animations: "disabled" });
    broken = false;
    await tab.getByTestId("bulk-confirm-button").click();
    await tab.getByTestId("bulk-close").waitFor();
    await expect(tab.getByTestId("bulk-progress").textContent()).resolves.toContain("4 of 4 runs — 4 done, 0 could not be");
    await expect(tab.getByRole("progressbar").getAttribute("aria-valuenow")).resolves.toBe("4");
    await tab.screenshot({ path: `${shots}/bulk-actions.png`, animations: "disabled" });
    if (process.env.UPDATE_DOCS_SCREENSHOTS) {
      await copyFile(`${shots}/bulk-actions.png`, here("../docs/bulk-actions.png"));
      await copyFile(`${shots}/bulk-confirm.png`, here("../docs/bulk-actions-confirm.png"));
    }
    for (const id of failed) expect((await runs.poll(id, { timeoutMs: 20_000 })).output).toBe("repaired");
    await tab.close();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
