import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metadata, runs, task } from "durably";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { SCREENSHOTS_DIR, openSignedIn } from "./helpers/dashboard-tab.ts";

const SECRET = "audit-dashboard-secret-0123456789";

// Each version a few milliseconds after the last, so that each is a moment of its own on the page
// (times travel as ISO strings, to the millisecond).
const later = () => new Promise((resolve) => setTimeout(resolve, 5));
const resizer = task({
  id: "audit-resizer",
  run: async (_: null, { io }) => {
    await later();
    const status = await io.createStatus("resize", { label: "Resizing", state: "loading" });
    await later();
    await metadata.set("phase", "resizing");
    await later();
    await status.update("resized", { label: "Resized", state: "success" });
    await later();
    await metadata.set("phase", "done");
    return null;
  },
});

let dashboard: DashboardUnderTest;
const pageErrors: string[] = [];

beforeAll(async () => {
  dashboard = await startDashboard("audit-slider", { tasks: [resizer], secretKey: SECRET });
}, 120_000);

afterAll(async () => {
  await dashboard?.close();
});

describe("the run page's time slider", () => {
  it("shows the statuses and metadata as they were at each change, then live again", async () => {
    const { id } = await resizer.trigger(null, { metadata: { owner: "ops" } });
    expect((await runs.poll(id, { timeoutMs: 60_000 })).status).toBe("SUCCESS");
    const tab = await openSignedIn(dashboard.context, dashboard.engine.url!, SECRET, pageErrors, `#/runs/${id}`);
    const slider = tab.getByRole("slider", { name: "Show statuses and metadata as of" });
    const asOf = tab.getByTestId("as-of");
    const status = tab.getByTestId("status-resize");
    const metadataNow = tab.getByTestId("metadata-current");
    const changes = tab.getByTestId("metadata-history").locator("tbody tr");
    await asOf.getByText("Live").waitFor({ timeout: 20_000 });
    await metadataNow.getByText("done").waitFor();

    await slider.press("Home");
    await asOf.getByText(/\(change 1 of 5\)$/).waitFor();
    await tab.getByText("This run had created no statuses yet.").waitFor();
    await expect.poll(() => changes.count()).toBe(1);
    expect(await metadataNow.textContent()).toContain("ops");
    expect(await metadataNow.textContent()).not.toContain("phase");

    await slider.press("ArrowRight");
    await asOf.getByText(/\(change 2 of 5\)$/).waitFor();
    await status.getByText("Resizing").waitFor();

    await slider.press("ArrowRight");
    await metadataNow.getByText("resizing").waitFor();
    await expect.poll(() => changes.count()).toBe(2);
    expect(await status.locator(".status-label").textContent()).toBe("Resizing");

    await slider.press("ArrowRight");
    await status.getByText("Resized").waitFor();
    expect(await metadataNow.textContent()).toContain("resizing");
    await tab.screenshot({ path: `${SCREENSHOTS_DIR}/audit-slider.png`, animations: "disabled" });

    await tab.getByRole("button", { name: "Back to live" }).click();
    await asOf.getByText("Live").waitFor();
    await metadataNow.getByText("done").waitFor();
    await expect.poll(() => changes.count()).toBe(3);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
