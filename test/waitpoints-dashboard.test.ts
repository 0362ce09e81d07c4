import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runs, task, wait } from "durably";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { until } from "./helpers/until.ts";

const SECRET = "dashboard-secret-key-0123456789";
const approval = task({
  id: "wp-dashboard-approval",
  run: async () => {
    const token = await wait.createToken({ tags: ["approval"], timeout: "1h" });
    return (await wait.forToken<{ approved: boolean }>(token)).unwrap();
  },
});

let dashboard: DashboardUnderTest;

beforeAll(async () => {
  dashboard = await startDashboard("dashboard-waitpoints", { tasks: [approval], secretKey: SECRET });
}, 120_000);

afterAll(async () => {
  await dashboard?.close();
});

describe("the dashboard's run page", () => {
  it("shows the waitpoint a run waits on and completes it with a JSON body, resuming the run live", async () => {
    const { id } = await approval.trigger({});
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 20_000);
    const [token] = (await wait.listTokens({ runId: id })).data;

    const tab = await dashboard.context.newPage();
    try {
      await tab.goto(`${dashboard.engine.url!}/#/runs/${id}`);
      await tab.getByTestId("login-key").fill(SECRET);
      await tab.getByTestId("login-submit").click();
      const section = tab.getByTestId(`waitpoint-${token!.id}`);
      await section.getByText(token!.id).waitFor({ timeout: 15_000 });
      await expect(section.getByTestId("waitpoint-status").textContent()).resolves.toBe("WAITING");
      await expect(section.textContent()).resolves.toContain("approval");

      await section.getByTestId("waitpoint-output").fill("{ not json");
      await expect(section.getByTestId("waitpoint-complete").isDisabled()).resolves.toBe(true);
      await section.getByTestId("waitpoint-output").fill('{"approved": true}');
      await section.getByTestId("waitpoint-complete").click();
      await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 15_000 });
      await section.getByTestId("waitpoint-status").getByText("COMPLETED").waitFor();
      expect((await runs.retrieve(id)).output).toEqual({ approved: true });
      await expect(section.getByTestId("waitpoint-complete").count()).resolves.toBe(0);
    } finally {
      await tab.close();
    }
  }, 60_000);

  it("a Waitpoints page lists tokens, filtered by status and tag, each linking to the runs that waited on it", async () => {
    const a = await wait.createToken({ tags: ["page-a"] });
    const b = await wait.createToken({ tags: ["page-b"] });
    await wait.completeToken(b.id, "done");
    const tab = await dashboard.context.newPage();
    try {
      await tab.goto(`${dashboard.engine.url!}/#/waitpoints`);
      await tab.getByTestId("login-key").fill(SECRET);
      await tab.getByTestId("login-submit").click();
      await tab.getByTestId(`waitpoint-row-${a.id}`).waitFor({ timeout: 15_000 });
      await tab.getByTestId(`waitpoint-row-${b.id}`).waitFor();
      const [waited] = (await wait.listTokens({ tags: "approval" })).data;
      await expect(tab.getByTestId(`waitpoint-row-${waited!.id}`).locator(`a[href="#/runs/${waited!.runs[0]}"]`).count()).resolves.toBe(1);
      await tab.getByTestId("waitpoints-status").selectOption("COMPLETED");
      await tab.waitForURL(/#\/waitpoints\?status=COMPLETED$/);
      await tab.getByTestId(`waitpoint-row-${a.id}`).waitFor({ state: "detached" });
      await expect(tab.getByTestId(`waitpoint-row-${b.id}`).textContent()).resolves.toContain("COMPLETED");
      await tab.getByTestId("waitpoints-status").selectOption("");
      await tab.getByTestId("waitpoints-tag").fill("page-a");
      await tab.getByTestId("waitpoints-tag").blur();
      await tab.getByTestId(`waitpoint-row-${b.id}`).waitFor({ state: "detached" });
      await tab.getByTestId(`waitpoint-row-${a.id}`).waitFor();
    } finally {
      await tab.close();
    }
  }, 60_000);
});
