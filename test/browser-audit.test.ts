import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metadata, runs, task } from "durably";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { SCREENSHOTS_DIR, openSignedIn } from "./helpers/dashboard-tab.ts";
import { sql } from "./helpers/db.ts";

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

describe("the run page's audit trail", () => {
  it("verifies the run's chain (intact, then the history row edited by hand), and exports it as JSON and CSV downloads", async () => {
    const { id } = await resizer.trigger(null, { metadata: { owner: "ops" } });
    expect((await runs.poll(id, { timeoutMs: 60_000 })).status).toBe("SUCCESS");
    const tab = await openSignedIn(dashboard.context, dashboard.engine.url!, SECRET, pageErrors, `#/runs/${id}`);
    const trail = tab.getByTestId("audit-trail");
    const result = trail.getByTestId("audit-result");

    await trail.getByTestId("audit-verify").click();
    await result.getByText("Intact.").waitFor({ timeout: 20_000 });
    expect(await result.textContent()).toContain("5 versions");

    const [json] = await Promise.all([tab.waitForEvent("download"), trail.getByTestId("audit-export-json").click()]);
    expect(json.suggestedFilename()).toBe(`audit-${id}.json`);
    const history = JSON.parse(await readFile((await json.path())!, "utf8"));
    expect(history.versions.map((v: { op: string | null; kind: string }) => v.op ?? v.kind)).toEqual(["trigger", "status", "set", "status", "set"]);
    const [csv] = await Promise.all([tab.waitForEvent("download"), trail.getByTestId("audit-export-csv").click()]);
    expect(csv.suggestedFilename()).toBe(`audit-${id}.csv`);
    const lines = (await readFile((await csv.path())!, "utf8")).split("\r\n");
    expect(lines[0]).toBe("table,seq,revision,at,kind,key,status,value,op,metadata,childRunId,hash");
    expect(lines.slice(1, -1).map((line) => line.split(",").at(-1))).toEqual(history.versions.map((v: { hash: string }) => v.hash));

    const { schema } = dashboard.engine.options;
    const edited = history.versions.find((v: { op: string | null }) => v.op === "set");
    await sql(`UPDATE "${schema}".run_metadata_history SET value = '"tampered"' WHERE run_id = $1 AND seq = $2`, [id, edited.seq]);
    await trail.getByTestId("audit-verify").click();
    await result.getByText("Broken").waitFor();
    expect(await result.getAttribute("role")).toBe("alert");
    expect(await result.textContent()).toContain(`Broken at run_metadata_history seq ${edited.seq}: its hash does not follow from its content`);
    await trail.scrollIntoViewIfNeeded();
    await trail.screenshot({ path: `${SCREENSHOTS_DIR}/audit-verify.png`, animations: "disabled" });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
