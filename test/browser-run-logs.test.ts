import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logger, task } from "durably";
import type { Page } from "playwright-core";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { SCREENSHOTS_DIR, openSignedIn } from "./helpers/dashboard-tab.ts";
import { until } from "./helpers/until.ts";

const SECRET = "run-logs-dashboard-secret-0123456789";

let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => (release = resolve));
const importer = task({
  id: "log-importer",
  run: async (payload: { rows: number }, { io }) => {
    logger.info("import started", { rows: payload.rows, source: "s3://bucket/items.csv" });
    const parsed = await io.runTask("parse", async () => {
      io.logger.debug("parsing rows", { rows: payload.rows });
      logger.warn("row 7 has no price; skipped", { row: 7 });
      return payload.rows - 1;
    });
    logger.log("parsed", { parsed });
    await io.runTask("save", () => held);
    logger.error("3 rows rejected by the warehouse", { rejected: [12, 31, 40] });
    logger.info("import finished", { saved: parsed - 3 });
    return { saved: parsed - 3 };
  },
});

let dashboard: DashboardUnderTest;
const pageErrors: string[] = [];

beforeAll(async () => {
  dashboard = await startDashboard("run-logs", { tasks: [importer], secretKey: SECRET });
}, 120_000);

afterAll(async () => {
  await dashboard?.close();
});

const messages = (tab: Page, testId: string) => tab.getByTestId(testId).locator(".cell-text").allTextContents();

describe("run logs in the dashboard", () => {
  it("shows log lines in the timeline at their journal position, and a live Logs tab with level filter and search, on the run page's one connection", async () => {
    const handle = await importer.trigger({ rows: 50 });
    // Every EventSource the pages open, by path, and the most open at once per path.
    await dashboard.context.addInitScript(() => {
      const w = window as unknown as { opened: string[]; open: Record<string, number>; most: Record<string, number> };
      w.opened = [];
      w.open = {};
      w.most = {};
      const Original = window.EventSource;
      window.EventSource = class extends Original {
        readonly #at: string;
        #closed = false;
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          this.#at = new URL(String(url), location.href).pathname;
          w.opened.push(this.#at);
          w.open[this.#at] = (w.open[this.#at] ?? 0) + 1;
          w.most[this.#at] = Math.max(w.most[this.#at] ?? 0, w.open[this.#at]!);
        }
        override close() {
          if (!this.#closed) w.open[this.#at]! -= 1;
          this.#closed = true;
          super.close();
        }
      } as typeof EventSource;
    });
    const subscribers = async () => {
      const text = await (await fetch(`${dashboard.engine.url}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } })).text();
      return Number(/^durably_sse_subscribers (\d+)$/m.exec(text)?.[1]);
    };
    const tab = await openSignedIn(dashboard.context, dashboard.engine.url!, SECRET, pageErrors, `#/runs/${handle.id}`);

    // Timeline: the first line before any io call, the step's two lines under it, "parsed" after
    // it; the "save" step still runs, so it has no entry yet.
    const timeline = tab.getByTestId("journal");
    await timeline.getByText("parsed", { exact: true }).waitFor({ timeout: 20_000 });
    const rows = await timeline.locator("tbody tr").evaluateAll((trs) =>
      trs.map((tr) => (tr.getAttribute("data-testid") === "timeline-log" ? `log:${tr.querySelector(".cell-text")!.textContent}` : tr.getAttribute("data-testid"))),
    );
    expect(rows).toEqual(["log:import started", "journal-entry-1", "log:parsing rows", "log:row 7 has no price; skipped", "log:parsed"]);

    // Logs tab: everything so far, then the lines logged after it opened, live.
    await tab.getByTestId("run-tab-logs").click();
    const table = tab.getByTestId("logs-table");
    await table.getByText("parsed", { exact: true }).waitFor();
    expect(await messages(tab, "logs-table")).toEqual(["import started", "parsing rows", "row 7 has no price; skipped", "parsed"]);
    // The run, its streams and both log views (the timeline's and the tab's) share one connection.
    await until(async () => ((await subscribers()) === 1 ? true : undefined), 10_000);
    release();
    await table.getByText("import finished").waitFor({ timeout: 20_000 });
    expect(await messages(tab, "logs-table")).toEqual([
      "import started", "parsing rows", "row 7 has no price; skipped", "parsed", "3 rows rejected by the warehouse", "import finished",
    ]);
    await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 20_000 });
    const { opened, most } = await tab.evaluate(() => {
      const w = window as unknown as { opened: string[]; most: Record<string, number> };
      return { opened: w.opened, most: w.most };
    });
    const runStream = `/api/runs/${handle.id}/stream`;
    expect(new Set(opened)).toEqual(new Set([runStream]));
    expect(most[runStream]).toBe(1);
    await tab.screenshot({ path: `${SCREENSHOTS_DIR}/run-logs.png`, animations: "disabled" });

    // Level filter: warn and error only.
    await tab.getByTestId("log-level-warn").click();
    await tab.getByTestId("log-level-error").click();
    await expect.poll(() => messages(tab, "logs-table")).toEqual(["row 7 has no price; skipped", "3 rows rejected by the warehouse"]);
    // Search, within the level filter and then over every level; fields are searched too.
    await tab.getByTestId("log-search").fill("WAREHOUSE");
    await expect.poll(() => messages(tab, "logs-table")).toEqual(["3 rows rejected by the warehouse"]);
    await tab.getByTestId("log-level-warn").click();
    await tab.getByTestId("log-level-error").click();
    await tab.getByTestId("log-search").fill("s3://bucket");
    await expect.poll(() => messages(tab, "logs-table")).toEqual(["import started"]);
    await tab.getByTestId("log-search").fill("nothing like this");
    await tab.getByTestId("logs-empty").getByText("No line matches these filters.").waitFor();
    expect(pageErrors).toEqual([]);
    await tab.close();
  });
});
