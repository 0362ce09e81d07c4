// The dashboard's run page in Chromium: a run's streams live (text as text, JSON chunks as rows),
// and a parent's metadata roll-up with each change marked by the child run that made it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { metadata, streams, task } from "durably";
import type { Engine } from "durably/engine";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";

const SECRET = "dashboard-streams-secret-key-0123456789";

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
const more = gate();
const childrenGo = gate();
const finish = gate();
const writing = gate();
const manyMore = gate();

const writer = task({
  id: "dashboard-stream-writer",
  run: async (_: null) => {
    await streams.append("llm", "The quick ");
    await streams.append("rows", { sku: "A-1", qty: 2 });
    await more.promise;
    await streams.append("llm", "brown fox");
    await streams.append("rows", { sku: "B-7", qty: 5 });
  },
});

const oneConnection = task({
  id: "dashboard-stream-one-connection",
  run: async (_: null, { io }) => {
    await streams.append("llm", "Once ");
    await io.createStatus("writing", { label: "writing", state: "loading" });
    writing.open();
    await finish.promise;
    await streams.append("llm", "only");
    return "done";
  },
});

const manyStreams = task({
  id: "dashboard-stream-many",
  run: async (_: null) => {
    for (let i = 0; i < 34; i++) await streams.append(`s${String(i).padStart(2, "0")}`, `chunk ${i}`);
    await manyMore.promise;
    await streams.append("s33", " and more");
  },
});

const hundreds = task({
  id: "dashboard-stream-hundreds",
  run: async (_: null) => {
    for (let i = 0; i < 140; i++) await streams.append(`h${String(i).padStart(3, "0")}`, `chunk ${i}`);
  },
});

const child = task({
  id: "dashboard-rollup-child",
  run: async (n: number) => {
    await childrenGo.promise;
    await metadata.parent.increment("done");
    await metadata.parent.append("items", `item-${n}`);
  },
});
const parent = task({
  id: "dashboard-rollup-parent",
  run: async (_: null) => {
    await metadata.set("total", 3);
    await child.batchTriggerAndWait([0, 1, 2].map((n) => ({ payload: n })));
  },
});

let dashboard: DashboardUnderTest;
let context: BrowserContext;
let engine: Engine;
const pageErrors: string[] = [];

beforeAll(async () => {
  dashboard = await startDashboard("dashboard-streams", { tasks: [writer, oneConnection, manyStreams, hundreds, child, parent], secretKey: SECRET });
  ({ engine, context } = dashboard);
}, 120_000);

afterAll(async () => {
  await dashboard?.close();
});

async function openRun(runId: string): Promise<Page> {
  const tab = await context.newPage();
  tab.on("pageerror", (e) => pageErrors.push(e.message));
  await tab.goto(engine.url!);
  await tab.getByTestId("login-key").fill(SECRET);
  await tab.getByTestId("login-submit").click();
  await tab.goto(`${engine.url}/#/runs/${runId}`);
  return tab;
}

describe("dashboard run page", () => {
  it("shows each stream live: text chunks as text, JSON chunks as rows", async () => {
    const { id } = await writer.trigger(null);
    const tab = await openRun(id);
    const llm = tab.getByTestId("run-stream-llm");
    const rows = tab.getByTestId("run-stream-rows");
    await llm.getByTestId("stream-text").filter({ hasText: "The quick" }).waitFor({ timeout: 20_000 });
    await rows.getByTestId("stream-rows").filter({ hasText: "A-1" }).waitFor({ timeout: 20_000 });
    more.open();
    await llm.getByTestId("stream-text").filter({ hasText: "The quick brown fox" }).waitFor({ timeout: 20_000 });
    await rows.locator("tbody tr").nth(1).filter({ hasText: "B-7" }).waitFor({ timeout: 20_000 });
    await expect(rows.locator("tbody tr").count()).resolves.toBe(2);
    expect(pageErrors).toEqual([]);
    await tab.close();
  });

  it("opens one connection for the run, its streams and its log lines, not one without the run first", async () => {
    const { id } = await oneConnection.trigger(null);
    // The run holds still while the page loads: a change landing between two of its hooks' reads
    // would rightly open the connection again, from the older read.
    await writing.promise;
    const tab = await context.newPage();
    tab.on("pageerror", (e) => pageErrors.push(e.message));
    const opened: string[] = [];
    tab.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname === `/api/runs/${id}/stream`) opened.push(url.search);
    });
    await tab.goto(engine.url!);
    await tab.getByTestId("login-key").fill(SECRET);
    await tab.getByTestId("login-submit").click();
    await tab.goto(`${engine.url}/#/runs/${id}`);
    await tab.getByTestId("run-stream-llm").getByTestId("stream-text").filter({ hasText: "Once" }).waitFor({ timeout: 20_000 });
    finish.open();
    // The run's end and the stream's last chunk come on that connection: nothing opened another since.
    await tab.getByTestId("run-stream-llm").getByTestId("stream-text").filter({ hasText: "Once only" }).waitFor({ timeout: 20_000 });
    await tab.getByTestId("run-output").filter({ hasText: "done" }).waitFor({ timeout: 20_000 });
    expect(opened).toHaveLength(1);
    expect(new URLSearchParams(opened[0]).get("streams")).toBe("*");
    expect(new URLSearchParams(opened[0]).has("run")).toBe(false);
    expect(pageErrors).toEqual([]);
    await tab.close();
  });

  it("says which streams past the 32 it shows were left out, and follows one live once opened", async () => {
    const { id } = await manyStreams.trigger(null);
    const tab = await openRun(id);
    const leftOut = tab.getByTestId("run-streams-left-out");
    await leftOut.getByTestId("streams-left-out-count").filter({ hasText: "2 more streams" }).waitFor({ timeout: 20_000 });
    await expect(tab.getByTestId("run-streams").locator("[data-testid^=run-stream-s]").count()).resolves.toBe(32);
    await expect(leftOut.locator("[data-testid^=open-stream-]").allTextContents()).resolves.toEqual(["s32", "s33"]);
    await leftOut.getByTestId("open-stream-s33").click();
    const opened = leftOut.getByTestId("run-stream-s33");
    await opened.getByTestId("stream-text").filter({ hasText: "chunk 33" }).waitFor({ timeout: 20_000 });
    manyMore.open();
    await opened.getByTestId("stream-text").filter({ hasText: "chunk 33 and more" }).waitFor({ timeout: 20_000 });
    await expect(leftOut.locator("[data-testid^=open-stream-]").allTextContents()).resolves.toEqual(["s32"]);
    expect(pageErrors).toEqual([]);
    await tab.close();
  });

  it("says how many streams were left out past the 100 it names, and lists those", async () => {
    const { id } = await hundreds.trigger(null);
    const tab = await openRun(id);
    const leftOut = tab.getByTestId("run-streams-left-out");
    await leftOut.getByTestId("streams-left-out-count").filter({ hasText: "108 more streams" }).waitFor({ timeout: 20_000 });
    await expect(leftOut.getByTestId("streams-left-out-count").textContent()).resolves.toContain("The engine names the first 100 of them.");
    await expect(leftOut.locator("[data-testid^=open-stream-]").count()).resolves.toBe(100);
    expect(pageErrors).toEqual([]);
    await tab.close();
  });

  it("rolls up the metadata its children changed, each change marked with its child", async () => {
    const { id } = await parent.trigger(null);
    const tab = await openRun(id);
    await tab.getByTestId("metadata-current").filter({ hasText: "total" }).waitFor({ timeout: 20_000 });
    childrenGo.open();
    const rollup = tab.getByTestId("metadata-rollup");
    await rollup.getByTestId("metadata-rollup-row").nth(2).waitFor({ timeout: 20_000 });
    await tab.getByTestId("metadata-current").filter({ hasText: "item-2" }).waitFor({ timeout: 20_000 });
    const childIds = await rollup.locator("a").allTextContents();
    expect(new Set(childIds).size).toBe(3);
    // Each child made two changes; the history marks all six with their child, the parent's own with "this run".
    for (const childId of childIds) await expect(rollup.getByTestId("metadata-rollup-row").filter({ hasText: childId }).locator("td").nth(1).textContent()).resolves.toBe("2");
    const history = tab.getByTestId("metadata-history");
    await history.getByTestId("change-by-child").nth(5).waitFor({ timeout: 20_000 });
    await expect(history.getByTestId("change-by-child").allTextContents()).resolves.toHaveLength(6);
    await expect(history.locator("tbody tr").first().textContent()).resolves.toContain("this run");
    expect(pageErrors).toEqual([]);
    await tab.close();
  });
});
