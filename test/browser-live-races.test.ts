// Interleavings of snapshot fetches and SSE streams in the real dashboard that used to leave a page
// wrong for good (or for as long as the run kept running). Each test
// holds HTTP answers with page.route to force one interleaving, and reads what SSE delivered from
// a log the page keeps (an init script wraps EventSource), so nothing depends on timing.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page, Route } from "playwright-core";
import { Client, eventTrigger, metadata, task } from "durably";
import type { Engine } from "durably/engine";
import { startDashboard, type DashboardUnderTest } from "./helpers/dashboard.ts";
import { serviceOf } from "../engine/internal.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SECRET = "live-races-secret-key-0123456789";

/** A gate a task waits at until the test opens it. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const side = {
  failing: false,
  work: gate(),
  beforeMeta: gate(),
  afterMeta: gate(),
};

/** One step that waits at `side.work` and then fails while `side.failing` is set. */
const gated = task({
  id: "gated-step",
  retry: { maxAttempts: 1 },
  run: async (_: unknown, { io }) => {
    await io.runTask(
      "work",
      async () => {
        await side.work.promise;
        if (side.failing) throw new Error("failing on purpose");
        return 1;
      },
      { retry: { maxAttempts: 1 } },
    );
    return { ok: true };
  },
});

/** Fails its first step while `side.failing`; retried, it sets metadata between two gates. */
const withMetadata = task({
  id: "metadata-after-retry",
  retry: { maxAttempts: 1 },
  run: async (_: unknown, { io }) => {
    await io.runTask(
      "first",
      async () => {
        if (side.failing) throw new Error("failing on purpose");
        return 1;
      },
      { retry: { maxAttempts: 1 } },
    );
    await side.beforeMeta.promise;
    await metadata.set("phase", "saving");
    await side.afterMeta.promise;
    return { ok: true };
  },
});

const eventClient = new Client({ id: "live-races-app" });
eventClient.defineJob({
  id: "gated-event-job",
  name: "Gated event job",
  version: "1",
  trigger: eventTrigger({ name: "go" }),
  run: async (_payload, io) => {
    await io.runTask("work", async () => {
      await side.work.promise;
      return 1;
    });
    return { ok: true };
  },
});

let dashboard: DashboardUnderTest;
let context: BrowserContext;
let engine: Engine;

beforeAll(async () => {
  dashboard = await startDashboard("live-races", { clients: [eventClient], tasks: [gated, withMetadata], secretKey: SECRET, viewport: { width: 1280, height: 900 } });
  ({ engine, context } = dashboard);
  // Signed in already, and every SSE event the page receives is logged in window.__sse.
  await context.addInitScript((secret: string) => {
    sessionStorage.setItem("durably.secretKey", secret);
    type Logged = { url: string; type: string; data?: string };
    const log: Logged[] = [];
    (window as unknown as { __sse: Logged[] }).__sse = log;
    const Native = window.EventSource;
    const add = Native.prototype.addEventListener;
    Native.prototype.addEventListener = function (this: EventSource, type: string, listener: unknown, options?: unknown) {
      const url = this.url;
      const wrapped = function (this: EventSource, event: MessageEvent) {
        log.push({ url, type, data: event.data });
        return typeof listener === "function" ? listener.call(this, event) : (listener as EventListenerObject).handleEvent(event);
      };
      return add.call(this, type, wrapped as EventListener, options as AddEventListenerOptions);
    } as typeof Native.prototype.addEventListener;
    window.EventSource = class extends Native {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        add.call(this, "open", () => log.push({ url: String(url), type: "open" }));
      }
    };
  }, SECRET);
}, 120_000);

afterAll(async () => {
  side.work.open();
  side.beforeMeta.open();
  side.afterMeta.open();
  await dashboard?.close();
});

type Logged = { url: string; type: string; data?: string };
const sseLog = (tab: Page) => tab.evaluate(() => (window as unknown as { __sse: Logged[] }).__sse);

/** Waits until the page has received an SSE event matching `match`. */
async function sseSeen(tab: Page, match: (e: Logged) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await sseLog(tab)).some(match)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for SSE: ${what}; log: ${JSON.stringify(await sseLog(tab))}`);
}

const pathOf = (url: string) => new URL(url, "http://page.invalid").pathname;
const runEvent = (path: string, runId: string, status: string) => (e: Logged) =>
  pathOf(e.url) === path && e.type === "run" && !!e.data && JSON.parse(e.data).id === runId && JSON.parse(e.data).status === status;

async function untilRunStatus(runId: string, status: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await serviceOf(engine).retrieveRun(runId)).status === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${runId} never became ${status}`);
}

describe("the dashboard's live views whichever answer lands first", () => {
  it("runs page: a run that finishes while the first list answer is on the wire ends up shown finished", async () => {
    side.failing = false;
    side.work = gate();
    const { id } = await gated.trigger({});
    await untilRunStatus(id, "EXECUTING");

    const tab = await context.newPage();
    // The list is read by the engine now (the run EXECUTING) and handed to the page later. Every
    // list request is held: the test build runs React in development mode, where StrictMode mounts twice and aborts the first.
    let readList!: () => void;
    const listRead = new Promise<void>((r) => (readList = r));
    const deliverList = gate();
    await tab.route(
      (url) => url.pathname === "/api/runs" && url.searchParams.get("limit") !== "1",
      async (route: Route) => {
        const response = await route.fetch().catch(() => null);
        readList();
        await deliverList.promise;
        if (response) await route.fulfill({ response }).catch(() => undefined);
      },
    );
    await tab.goto(`${engine.url}/#/runs`);
    await listRead;
    await sseSeen(tab, (e) => pathOf(e.url) === "/api/runs/stream" && e.type === "open", "runs stream open");

    // The run finishes; the runs stream pushes it to the page before the list answer lands.
    side.work.open();
    await untilRunStatus(id, "SUCCESS");
    await sseSeen(tab, runEvent("/api/runs/stream", id, "SUCCESS"), "pushed SUCCESS");
    deliverList.open();

    const row = tab.getByTestId(`run-row-${id}`);
    await row.waitFor();
    // The engine says SUCCESS, and the page received SUCCESS: the row must not stay EXECUTING.
    await row.getByText("SUCCESS").waitFor({ timeout: 15_000 });
    await tab.close();
  });

  it("runs page: a run that finishes after the list was read but before the runs stream connected ends up shown finished", async () => {
    side.failing = false;
    side.work = gate();
    const { id } = await gated.trigger({});
    await untilRunStatus(id, "EXECUTING");

    const tab = await context.newPage();
    // The runs stream connects late (a slow proxy, a busy engine): only once `connect` opens.
    const connect = gate();
    await tab.route(
      (url) => url.pathname === "/api/runs/stream",
      async (route: Route) => {
        await connect.promise;
        await route.continue().catch(() => undefined);
      },
    );
    await tab.goto(`${engine.url}/#/runs`);
    const row = tab.getByTestId(`run-row-${id}`);
    await row.getByText("EXECUTING").waitFor({ timeout: 15_000 });

    // The run finishes after the list was read, before the stream is there to hear it.
    side.work.open();
    await untilRunStatus(id, "SUCCESS");
    connect.open();
    await sseSeen(tab, (e) => pathOf(e.url) === "/api/runs/stream" && e.type === "open", "runs stream open");

    await row.getByText("SUCCESS").waitFor({ timeout: 15_000 });
    await tab.close();
  });

  it("event page: a run that finishes while the event answer is on the wire ends up shown finished", async () => {
    side.work = gate();
    const { id: eventId } = await eventClient.sendEvent({ name: "go", payload: {} });
    const [run] = await eventClient.getEventRuns(eventId);
    const runId = run!.id;
    await untilRunStatus(runId, "EXECUTING");

    const tab = await context.newPage();
    let readEvent!: () => void;
    const eventRead = new Promise<void>((r) => (readEvent = r));
    const deliverEvent = gate();
    await tab.route(
      (url) => url.pathname === `/api/events/${eventId}`,
      async (route: Route) => {
        const response = await route.fetch().catch(() => null);
        readEvent();
        await deliverEvent.promise;
        if (response) await route.fulfill({ response }).catch(() => undefined);
      },
    );
    await tab.goto(`${engine.url}/#/events/${eventId}`);
    await eventRead;
    await sseSeen(tab, (e) => pathOf(e.url) === "/api/runs/stream" && e.type === "open", "runs stream open");

    side.work.open();
    await untilRunStatus(runId, "SUCCESS");
    await sseSeen(tab, runEvent("/api/runs/stream", runId, "SUCCESS"), "pushed SUCCESS");
    deliverEvent.open();

    const row = tab.getByTestId(`run-row-${runId}`);
    await row.waitFor();
    await row.getByText("SUCCESS").waitFor({ timeout: 15_000 });
    await tab.close();
  });

  it("run page: a run retried while the metadata history's refetch is on the wire is followed to its end", async () => {
    side.failing = true;
    side.work = gate();
    const { id } = await gated.trigger({});
    await untilRunStatus(id, "EXECUTING");

    const tab = await context.newPage();
    // The metadata history answers go through while the page loads; once it shows the run
    // executing, later ones wait (a slow endpoint, or one being retried after an error).
    let holdHistory = false;
    const deliverHistory = gate();
    await tab.route(
      (url) => url.pathname === `/api/runs/${id}/metadata/history`,
      async (route: Route) => {
        if (holdHistory) await deliverHistory.promise;
        await route.continue().catch(() => undefined);
      },
    );
    const streamPath = `/api/runs/${id}/stream`;
    await tab.goto(`${engine.url}/#/runs/${id}`);
    await tab.getByTestId("run-status").getByText("EXECUTING").waitFor({ timeout: 15_000 });
    await tab.getByText("No changes.").waitFor();
    holdHistory = true;
    await sseSeen(tab, (e) => pathOf(e.url) === streamPath && e.type === "open", "run stream open");

    // The run fails: its stream pushes FAILURE and ends.
    side.work.open();
    await untilRunStatus(id, "FAILURE");
    await sseSeen(tab, (e) => pathOf(e.url) === streamPath && e.type === "end", "run stream end");
    await tab.getByTestId("run-status").getByText("FAILURE").waitFor({ timeout: 15_000 });

    // Retry; the retried run waits at its step until the page shows it unfinished.
    side.failing = false;
    side.work = gate();
    const streamsBefore = (await sseLog(tab)).filter((e) => pathOf(e.url) === streamPath && e.type === "open").length;
    await tab.getByTestId("retry-button").click();
    await tab.getByTestId("action-result").getByText("resumes").waitFor();
    await tab.getByTestId("run-status").filter({ hasNotText: "FAILURE" }).waitFor({ timeout: 15_000 });
    side.work.open();
    await untilRunStatus(id, "SUCCESS");
    deliverHistory.open();

    // The engine says SUCCESS. The page must follow the retried run to it.
    const streamsAfter = (await sseLog(tab)).filter((e) => pathOf(e.url) === streamPath && e.type === "open").length;
    try {
      await tab.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 8_000 });
    } catch (error) {
      const shown = await tab.getByTestId("run-status").textContent();
      throw new Error(
        `run page stuck at ${shown} while the run is SUCCESS; run streams opened before retry: ${streamsBefore}, after: ${streamsAfter}`,
        { cause: error },
      );
    }
    await tab.close();
  });

  it("run page: a metadata change made between the history read and the other snapshots' reads after a retry shows up in the history", async () => {
    side.failing = true;
    side.beforeMeta = gate();
    side.afterMeta = gate();
    const { id } = await withMetadata.trigger({});
    await untilRunStatus(id, "FAILURE");

    const tab = await context.newPage();
    await tab.goto(`${engine.url}/#/runs/${id}`);
    await tab.getByTestId("run-status").getByText("FAILURE").waitFor({ timeout: 15_000 });
    await tab.getByTestId("retry-button").waitFor();

    // After the retry, the run, its statuses and its journal are read only once `release` opens;
    // the metadata history is read at once.
    const release = gate();
    const others = new RegExp(`/api/runs/${id}(/statuses|/journal)?$`);
    await tab.route(
      (url) => others.test(url.pathname),
      async (route: Route) => {
        await release.promise;
        await route.continue().catch(() => undefined);
      },
    );
    side.failing = false;
    const historyRead = tab.waitForResponse((r) => pathOf(r.url()) === `/api/runs/${id}/metadata/history`);
    await tab.getByTestId("retry-button").click();
    const history = await (await historyRead).json();
    expect(history.changes.some((c: { key: string | null }) => c.key === "phase")).toBe(false);

    // The retried run sets `phase`, then waits; the held snapshots are read after that write.
    side.beforeMeta.open();
    const deadline = Date.now() + 30_000;
    while (!(await serviceOf(engine).getMetadataHistory(id)).some((c) => c.key === "phase")) {
      if (Date.now() > deadline) throw new Error("the run never set phase");
      await new Promise((r) => setTimeout(r, 50));
    }
    release.open();
    await tab.getByTestId("run-status").getByText("EXECUTING").waitFor({ timeout: 15_000 });
    await tab.getByTestId("metadata-current").getByText("phase").waitFor({ timeout: 15_000 });

    // The run is still running (waiting at afterMeta). Its metadata "now" shows phase; its
    // history of changes must too.
    const changes = tab.getByTestId("metadata-history").getByText("phase");
    try {
      await changes.waitFor({ timeout: 5_000 });
    } catch (error) {
      // Only the run's end (the stream's onEnd refetch) brings it.
      side.afterMeta.open();
      await untilRunStatus(id, "SUCCESS");
      await changes.waitFor({ timeout: 15_000 });
      throw new Error("the metadata history lacked the 'phase' change for as long as the run ran; it appeared only once the run ended", {
        cause: error,
      });
    } finally {
      side.afterMeta.open();
      await tab.close();
    }
  });
});
