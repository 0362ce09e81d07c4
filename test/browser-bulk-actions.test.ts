import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { runs, task } from "durably";
import type { Engine } from "durably/engine";
import pg from "pg";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { TEST_DATABASE_URL, sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

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

const failing = task({ id: "bulk-ui-failing", retry: { maxAttempts: 1 }, run: async (): Promise<never> => { throw new Error("always"); } });

let dashboard: DashboardUnderTest;
let context: BrowserContext;
let engine: Engine;
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  dashboard = await startDashboard("bulk-dashboard", { tasks: [flaky, failing], secretKey: SECRET });
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

/** Holds a run's row locked, as a long transaction would: a bulk action reaching it waits. */
async function holdRun(schema: string, runId: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query("BEGIN");
  await client.query(`SELECT 1 FROM "${schema}".runs WHERE id = $1 FOR UPDATE`, [runId]);
  return async () => {
    await client.query("COMMIT");
    await client.end();
  };
}

describe("the bulk progress bar", () => {
  it("moves as the engine pushes the action's progress, without reading the action again", async () => {
    const { schema } = engine.options;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await failing.trigger({})).id);
    for (const id of ids) expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
    ids.sort();
    const releaseSecond = await holdRun(schema, ids[1]!);
    const releaseThird = await holdRun(schema, ids[2]!);
    try {
      const tab = await openRuns("task=bulk-ui-failing&status=FAILURE");
      const reads: string[] = [];
      tab.on("request", (request) => {
        if (request.method() === "GET" && /\/api\/bulk-actions\/[^/]+$/.test(new URL(request.url()).pathname)) reads.push(request.url());
      });
      await tab.getByTestId(`select-${ids[0]}`).check();
      await tab.getByTestId("select-all-matching").click();
      await tab.getByTestId("bulk-retry").click();
      await expect(tab.getByTestId("bulk-confirm").textContent()).resolves.toContain("Retry 3 runs?");
      await tab.getByTestId("bulk-confirm-button").click();
      const progress = tab.getByTestId("bulk-progress");
      await progress.waitFor();

      // The first run is done; the action waits on the second. Its last push is made old, so that
      // finishing the second pushes at once (pushes are at most one per 100 ms).
      const [action] = await sql<{ id: string }>(`SELECT id FROM "${schema}".bulk_actions WHERE action = 'retry' ORDER BY created_at DESC LIMIT 1`);
      await until(async () => ((await runs.bulk.retrieve(action!.id)).succeeded === 1 ? true : undefined), 20_000);
      await sql(`UPDATE "${schema}".bulk_actions SET heartbeat_at = now() - interval '1 second' WHERE id = $1`, [action!.id]);
      await releaseSecond();
      await progress.getByText("Retry: 2 of 3 runs").waitFor({ timeout: 20_000 });
      await expect(tab.getByRole("progressbar").getAttribute("aria-valuenow")).resolves.toBe("2");

      await releaseThird();
      await progress.getByText("3 of 3 runs — 3 done, 0 could not be").waitFor({ timeout: 20_000 });
      expect(reads).toEqual([]);
      await tab.close();
      expect(pageErrors).toEqual([]);
    } finally {
      await releaseSecond().catch(() => undefined);
      await releaseThird().catch(() => undefined);
    }
  }, 120_000);
});
