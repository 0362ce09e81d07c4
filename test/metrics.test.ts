import { describe, expect, it } from "vitest";
import { auth, runs, task } from "durably";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const SECRET = "metrics-test-secret";

/** The value of one sample of the exposition, by metric name and exact label set (in any order). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) return Number(match[3]);
  }
  return undefined;
}

describe("GET /metrics", () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const ok = task({
    id: "metrics-ok",
    run: async (n: number, { io }) => {
      const a = await io.runTask("a", async () => n);
      return io.runTask("b", async () => a + 1);
    },
  });
  const bad = task({
    id: "metrics-bad",
    retry: { maxAttempts: 1 },
    run: async (_: null, { io }) => io.runTask("boom", async () => {
      throw new Error("boom");
    }),
  });
  const gated = task({
    id: "metrics-gated",
    queue: { name: "gated", concurrencyLimit: 1 },
    run: async (_: null, { io }) => io.runTask("wait", () => gate),
  });

  it("counts runs, steps, journal writes, queue backlog and SSE subscribers of what ran, for the secret key only", async () => {
    const engine = await startTestEngine("metrics", { tasks: [ok, bad, gated], http: { port: 0 }, secretKey: SECRET });
    const scrape = async () => {
      const response = await fetch(`${engine.url}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/plain");
      return response.text();
    };

    const done = await Promise.all([1, 2, 3].map(async (n) => runs.poll((await ok.trigger(n)).id, { timeoutMs: 20_000 })));
    expect(done.map((r) => r.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expect((await runs.poll((await bad.trigger(null)).id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
    // One gated run holds the queue's only slot; the next waits QUEUED behind it, and a third is canceled there.
    const holder = await gated.trigger(null);
    await until(async () => ((await runs.retrieve(holder.id)).status === "EXECUTING" ? true : undefined), 20_000);
    await gated.trigger(null);
    const canceled = await gated.trigger(null);
    await runs.cancel(canceled.id);

    const stream = new AbortController();
    const sse = await fetch(`${engine.url}/api/runs/${holder.id}/stream`, { headers: { authorization: `Bearer ${SECRET}` }, signal: stream.signal });
    await sse.body!.getReader().read();

    const text = await until(async () => {
      const t = await scrape();
      return sample(t, "durably_runs_finished_total", { task: "metrics-gated", status: "CANCELED" }) === 1 ? t : undefined;
    }, 20_000);
    expect(sample(text, "durably_runs_started_total", { task: "metrics-ok" })).toBe(3);
    expect(sample(text, "durably_runs_started_total", { task: "metrics-bad" })).toBe(1);
    expect(sample(text, "durably_runs_started_total", { task: "metrics-gated" })).toBe(1);
    expect(sample(text, "durably_runs_finished_total", { task: "metrics-ok", status: "SUCCESS" })).toBe(3);
    expect(sample(text, "durably_runs_finished_total", { task: "metrics-bad", status: "FAILURE" })).toBe(1);
    expect(sample(text, "durably_step_duration_seconds_count", { task: "metrics-ok", outcome: "completed" })).toBe(6);
    expect(sample(text, "durably_step_duration_seconds_count", { task: "metrics-bad", outcome: "failed" })).toBe(1);
    expect(sample(text, "durably_step_duration_seconds_bucket", { task: "metrics-ok", outcome: "completed", le: "+Inf" })).toBe(6);
    // Every step entry written by the worker: six completed, one failed.
    const [steps] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${engine.options.schema}".journal WHERE kind = 'task'`);
    expect(steps!.n).toBe(7);
    expect(sample(text, "durably_journal_writes_total")).toBe(steps!.n);
    expect(sample(text, "durably_queue_depth", { queue: "gated" })).toBe(1);
    expect(sample(text, "durably_queue_oldest_age_seconds", { queue: "gated" })).toBeGreaterThan(0);
    expect(sample(text, "durably_queue_depth", { queue: "task/metrics-ok" })).toBeUndefined();
    expect(sample(text, "durably_sse_subscribers")).toBe(1);

    stream.abort();
    await until(async () => (sample(await scrape(), "durably_sse_subscribers") === 0 ? true : undefined), 10_000);
    release();
    await until(async () => (sample(await scrape(), "durably_queue_depth", { queue: "gated" }) === undefined ? true : undefined), 20_000);

    expect((await fetch(`${engine.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${engine.url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const publicToken = await auth.createPublicToken({ scopes: { read: { tasks: ["metrics-ok"] } } });
    expect((await fetch(`${engine.url}/metrics`, { headers: { authorization: `Bearer ${publicToken}` } })).status).toBe(403);
  });

  it("meters retention's progress: runs purged, rows deleted by table, the last batch's duration and the backlog", async () => {
    const brief = task({ id: "metrics-brief", retention: "1s", run: async (_: null, { io }) => {
      await io.runTask("a", async () => 1);
      await io.runTask("b", async () => 2);
      return "done";
    } });
    const engine = await startTestEngine("metrics_purge", { tasks: [brief], http: { port: 0 }, secretKey: SECRET });
    const ids = [(await brief.trigger(null, { metadata: { n: 1 } })).id, (await brief.trigger(null, { metadata: { n: 2 } })).id];
    for (const id of ids) await runs.poll(id, { timeoutMs: 20_000 });
    const read = async () => (await fetch(`${engine.url}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } })).text();
    const text = await until(async () => {
      const t = await read();
      return sample(t, "durably_runs_purged_total") === 2 ? t : undefined;
    }, 20_000);
    const [left] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${engine.options.schema}".runs`);
    expect(left!.n).toBe(0);
    // Two steps each, and the trigger's metadata each.
    expect(sample(text, "durably_purge_rows_deleted_total", { table: "runs" })).toBe(2);
    expect(sample(text, "durably_purge_rows_deleted_total", { table: "journal" })).toBe(4);
    expect(sample(text, "durably_purge_rows_deleted_total", { table: "run_metadata_history" })).toBe(2);
    expect(sample(text, "durably_purge_last_batch_seconds")).toBeGreaterThan(0);
    expect(sample(text, "durably_purge_backlog_runs")).toBe(0);
  });

  it("keeps each engine's metrics apart in one process", async () => {
    const first = await startTestEngine("metrics_a", { tasks: [ok], http: { port: 0 }, secretKey: SECRET });
    const second = await startTestEngine("metrics_b", { tasks: [ok], http: { port: 0 }, secretKey: SECRET });
    await runs.poll((await ok.trigger(1)).id, { timeoutMs: 20_000 });
    const read = async (url: string) => (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } })).text();
    expect(sample(await read(first.url!), "durably_runs_started_total", { task: "metrics-ok" })).toBe(1);
    expect(sample(await read(second.url!), "durably_runs_started_total", { task: "metrics-ok" })).toBeUndefined();
  });
});
