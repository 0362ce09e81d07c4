import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { openSignedIn } from "./helpers/dashboard-tab.ts";
import { until } from "./helpers/until.ts";

const SECRET = "flow-control-dashboard-secret-0123456789";

const emails = task({
  id: "send-email",
  queue: { name: "emails", rateLimit: { limit: 2, period: "1m" } },
  run: async (to: string) => to,
});

/** A lookup with a 30 s timeout that answers at once, then a call that hangs past its 300 ms on every attempt. */
const hangs = task({
  id: "hanging-call",
  retry: { maxAttempts: 2, minTimeoutInMs: 10, maxTimeoutInMs: 10 },
  run: async (_: null, { io }) => {
    await io.runTask("lookup", async () => "found", { timeout: "30s" });
    return io.runTask("call", ({ signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))), { timeout: "300ms" });
  },
});

let dashboard: DashboardUnderTest;
const pageErrors: string[] = [];
const open = (hash = "") => openSignedIn(dashboard.context, dashboard.engine.url!, SECRET, pageErrors, hash);

beforeAll(async () => {
  dashboard = await startDashboard("flow_control", { tasks: [emails, hangs], secretKey: SECRET });
}, 120_000);

afterAll(async () => {
  await dashboard?.close();
});

describe("flow control in the dashboard", () => {
  it("shows a queue's rate limit with its starts in the period, its QUEUED runs and their top priority, and a run's priority and maxDuration", async () => {
    for (const to of ["a@example.com", "b@example.com"]) await runs.poll((await emails.trigger(to)).id, { timeoutMs: 20_000 });
    // The period's two starts are taken: these wait, QUEUED, for a minute.
    await emails.trigger("c@example.com");
    const urgent = await emails.trigger("d@example.com", { priority: 30, maxDuration: 90 });
    const tab = await open("#/tasks");
    const row = tab.getByTestId("task-row-send-email");
    await row.waitFor();
    await expect(row.getByTestId("task-rate-limit").textContent()).resolves.toBe(" · rate 2/2 per 1m 0s");
    await expect(row.getByTestId("task-queued").textContent()).resolves.toBe(" · 2 queued, top priority 30 s");
    await tab.goto(`${dashboard.engine.url}/#/runs/${urgent.id}`);
    const details = tab.locator(".details");
    await until(async () => ((await details.count()) > 0 ? true : undefined), 10_000);
    await expect(details.textContent()).resolves.toContain("Priority30 s ahead");
    await expect(details.textContent()).resolves.toContain("Max duration1m 30s of execution");
    expect((await runs.retrieve(urgent.id)).status).toBe("QUEUED");
    expect(pageErrors).toEqual([]);
    await tab.close();
  });

  it("shows each step's timeout on the run page, and a step that timed out as timed out", async () => {
    const run = await hangs.trigger(null);
    const failed = await runs.poll(run.id, { timeoutMs: 30_000 });
    expect(failed.status).toBe("FAILURE");
    const tab = await open(`#/runs/${run.id}`);
    const lookup = tab.getByTestId("journal-entry-1");
    const call = tab.getByTestId("journal-entry-2");
    await call.waitFor();
    await expect(lookup.getByTestId("step-timeout").textContent()).resolves.toBe(" / 30.0s timeout");
    await expect(lookup.getByTestId("step-timed-out").count()).resolves.toBe(0);
    await expect(call.getByTestId("step-timeout").textContent()).resolves.toBe(" / 300ms timeout");
    await expect(call.getByTestId("step-timed-out").textContent()).resolves.toBe("Timed out after 300ms");
    await expect(call.textContent()).resolves.toContain('TimeoutError: Step "call" timed out after 300 ms');
    expect(pageErrors).toEqual([]);
    await tab.close();
  });
});
