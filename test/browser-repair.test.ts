import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { configure, runs } from "durably";
import { disconnect } from "../sdk/backend.ts";
import { TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { withEngine } from "./helpers/engine.ts";
import { ingest as broken } from "./fixtures/repair/broken.ts";
import { ingest as fixed } from "./fixtures/repair/fixed.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const shots = here("../test-output/screenshots");
const SECRET = "repair-dashboard-secret-0123456789";
const schema = uniqueSchema("repair_ui");
let dashboard: DashboardUnderTest | undefined;
afterAll(async () => {
  await disconnect();
  await dashboard?.close();
});

describe("repair from the first divergence, on the runs page", () => {
  it("shows per failed run the first step the deployed code runs differently, and forks each from it once confirmed", async () => {
    await mkdir(shots, { recursive: true });
    configure({ databaseUrl: TEST_DATABASE_URL, schema });
    // The broken deploy: both runs fail in "parse".
    const [plain, strict] = await withEngine(schema, [broken], async () => {
      const ids = [(await broken.trigger({ n: 21 })).id, (await broken.trigger({ n: 5, strict: true })).id];
      for (const id of ids) expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
      return ids;
    });
    // The fixed deploy serves the dashboard.
    dashboard = await startDashboard("repair-ui", { tasks: [fixed], secretKey: SECRET, schema });
    const { engine, context } = dashboard;
    const tab = await context.newPage();
    const pageErrors: string[] = [];
    tab.on("pageerror", (e) => pageErrors.push(e.message));
    await tab.goto(engine.url!);
    await tab.getByTestId("login-key").fill(SECRET);
    await tab.getByTestId("login-submit").click();
    await tab.goto(`${engine.url!}/#/runs?task=repair-ingest&status=FAILURE`);
    await tab.getByTestId("runs-table").waitFor();

    await tab.getByTestId("repair-open").click();
    await tab.getByTestId("repair-plan").waitFor();
    await expect(tab.getByTestId(`repair-${plain}`).textContent()).resolves.toBe(`${plain}seq 2task("parse") failed and runs again`);
    await expect(tab.getByTestId(`repair-${strict}`).textContent()).resolves.toBe(
      `${strict}seq 2the code now calls task("validate") where task("parse") was recorded`,
    );
    await tab.screenshot({ path: `${shots}/repair-plan.png`, animations: "disabled" });
    if (process.env.UPDATE_DOCS_SCREENSHOTS) await copyFile(`${shots}/repair-plan.png`, here("../docs/repair.png"));

    await tab.getByTestId("repair-confirm").click();
    await tab.getByTestId("repair-forks").waitFor();
    const forkIds = await tab.getByTestId("repair-forks").locator("a").allTextContents();
    expect(forkIds).toHaveLength(2);
    const outputs = await Promise.all(forkIds.map(async (id) => (await runs.poll(id, { timeoutMs: 20_000 })).output));
    expect(outputs).toEqual([42, 10]);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
