// The Runs page on a filled table (bench/seed-rows.ts): unfiltered, a status of a thousand runs or
// more shows PostgreSQL's estimate, rounded and marked "~" with a title saying so; the smaller ones
// their exact count; the pages after the first ("Load more") leave the counts as they were. With a
// filter, counts are exact, or, past the cap, lower bounds shown "1,000+"; never estimates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRows } from "../bench/seed-rows.ts";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { openSignedIn } from "./helpers/dashboard-tab.ts";
import { TEST_DATABASE_URL, sql, uniqueSchema } from "./helpers/db.ts";

const SECRET = "run-counts-dashboard-secret-0123456789";
const schema = uniqueSchema("run_counts");
let dashboard: DashboardUnderTest;
const pageErrors: string[] = [];

beforeAll(async () => {
  await seedRows(TEST_DATABASE_URL, schema, { runs: 3_000, journalPerRun: 4, days: 10 });
  dashboard = await startDashboard("run-counts", { tasks: [], secretKey: SECRET, schema });
}, 180_000);

afterAll(async () => {
  await dashboard?.close();
});

describe("the Runs page's status chips", () => {
  it("mark estimated counts with ~ and a title, show exact ones as they are, and keep them while more runs load", async () => {
    const [{ canceled }] = (await sql<{ canceled: number }>(`SELECT count(*)::int AS canceled FROM "${schema}".runs WHERE status = 'CANCELED'`)) as [{ canceled: number }];
    const tab = await openSignedIn(dashboard.context, dashboard.engine.url!, SECRET, pageErrors, "#/runs");
    const count = (status: string) => tab.getByTestId(`status-chip-${status}`).locator(".chip-count");
    await tab.getByTestId("runs-table").waitFor();
    await expect(count("SUCCESS").textContent()).resolves.toMatch(/^~\d{1,3}(,\d{3})*$/);
    await expect(count("SUCCESS").getAttribute("data-estimated")).resolves.toBe("true");
    await expect(count("SUCCESS").getAttribute("title")).resolves.toMatch(/^Estimated by PostgreSQL/);
    await expect(count("ALL").textContent()).resolves.toMatch(/^~/);
    await expect(count("CANCELED").textContent()).resolves.toBe(String(canceled));
    await expect(count("CANCELED").getAttribute("data-estimated")).resolves.toBeNull();
    await expect(count("QUEUED").textContent()).resolves.toBe("0");

    const before = await count("SUCCESS").textContent();
    await tab.getByTestId("load-more").click();
    await tab.getByText("50 runs shown").waitFor();
    await expect(count("SUCCESS").textContent()).resolves.toBe(before);
    await expect(count("CANCELED").textContent()).resolves.toBe(String(canceled));
    expect(pageErrors).toEqual([]);
  });

  it("show a filter's counts exact, or as lower bounds with a + past the cap, never estimated", async () => {
    const tab = await openSignedIn(dashboard.context, dashboard.engine.url!, SECRET, pageErrors, "#/runs?mkey=region");
    const count = (status: string) => tab.getByTestId(`status-chip-${status}`).locator(".chip-count");
    await tab.getByTestId("runs-table").waitFor();
    // Every seeded run has a region: counting stopped at the cap, SUCCESS's count is a lower bound
    // and so is the total; the statuses of few runs were counted exactly.
    const [{ failed }] = (await sql<{ failed: number }>(`SELECT count(*)::int AS failed FROM "${schema}".runs WHERE status = 'FAILURE'`)) as [{ failed: number }];
    await count("ALL").filter({ hasText: "+" }).waitFor();
    await expect(count("ALL").textContent()).resolves.toMatch(/^\d{1,3}(,\d{3})*\+$/);
    await expect(count("SUCCESS").textContent()).resolves.toMatch(/^\d{1,3}(,\d{3})*\+$/);
    await expect(count("SUCCESS").getAttribute("data-at-least")).resolves.toBe("true");
    await expect(count("SUCCESS").getAttribute("data-estimated")).resolves.toBeNull();
    await expect(count("SUCCESS").getAttribute("title")).resolves.toMatch(/^At least this many/);
    await expect(count("FAILURE").textContent()).resolves.toBe(failed.toLocaleString("en"));
    await expect(count("FAILURE").getAttribute("data-at-least")).resolves.toBeNull();

    // Only FAILURE and CANCELED runs have progress 0.5: an exact 0 SUCCESS, where an estimate said ~85%.
    await tab.goto(`${dashboard.engine.url!}/#/runs?mkey=progress&mval=0.5`);
    await count("FAILURE").filter({ hasText: failed.toLocaleString("en") }).waitFor();
    await expect(count("SUCCESS").textContent()).resolves.toBe("0");
    await expect(count("SUCCESS").getAttribute("data-at-least")).resolves.toBeNull();
    await expect(count("SUCCESS").getAttribute("data-estimated")).resolves.toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
