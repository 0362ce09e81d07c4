import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configure, DurablyError, InvalidPayloadError, runs, task, type BulkAction } from "durably";
import { createEngine, type Engine } from "durably/engine";
import { disconnect } from "../sdk/backend.ts";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const SECRET = "bulk-secret-key-0123456789";
const schema = uniqueSchema("bulk");
let broken = true;
const flaky = task({
  id: "bulk-flaky",
  retry: { maxAttempts: 1 },
  run: async () => {
    if (broken) throw new Error("broken deploy");
    return "fixed";
  },
});
const other = task({ id: "bulk-other", retry: { maxAttempts: 1 }, run: async (): Promise<never> => { throw new Error("always"); } });

let engine: Engine;
beforeAll(async () => {
  engine = createEngine({ databaseUrl: TEST_DATABASE_URL, schema, tasks: [flaky, other], http: { port: 0 }, secretKey: SECRET, logLevel: "error", pollIntervalMs: 200 });
  await engine.start();
});
afterAll(async () => {
  await disconnect();
  await engine?.stop();
  await dropSchemas(schema);
});

const failedRuns = async (t: typeof flaky | typeof other, n: number) => {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await t.trigger({})).id);
  for (const id of ids) expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
  return ids;
};

describe("runs.bulk", () => {
  it("a dry run counts the runs a filter matches (task version included); retry then resumes exactly those, once each", async () => {
    configure({ databaseUrl: TEST_DATABASE_URL, schema });
    const failed = await failedRuns(flaky, 3);
    const [untouched] = await failedRuns(other, 1);
    const filter = { status: "FAILURE" as const, taskIdentifier: "bulk-flaky" };
    expect(await runs.bulk.retry(filter, { dryRun: true })).toEqual({ action: "retry", dryRun: true, count: 3 });
    expect((await runs.bulk.retry({ ...filter, taskVersion: "no-such-version" }, { dryRun: true })).count).toBe(0);

    broken = false;
    const started = await runs.bulk.retry(filter);
    expect(started).toMatchObject({ action: "retry", total: 3 });
    const progress: BulkAction[] = [];
    const done = await runs.bulk.poll(started.id, { timeoutMs: 20_000, onProgress: (a) => progress.push(a) });
    expect(done).toMatchObject({ status: "COMPLETED", total: 3, succeeded: 3, failed: 0 });
    expect(done.finishedAt).toBeInstanceOf(Date);
    for (const id of failed) {
      const run = await runs.poll(id, { timeoutMs: 20_000 });
      expect([run.status, run.output]).toEqual(["SUCCESS", "fixed"]);
    }
    expect((await runs.retrieve(untouched!)).status).toBe("FAILURE");

    // A run the action cannot act on counts as failed; the others go on.
    const again = await runs.bulk.poll((await runs.bulk.retry({ taskIdentifier: "bulk-flaky" })).id, { timeoutMs: 20_000 });
    expect(again).toMatchObject({ total: 3, succeeded: 0, failed: 3 });
  }, 90_000);

  it("over HTTP: replay and cancel by filter with progress, a fork without fromSeq is refused, an unknown action id is 404", async () => {
    configure({ baseUrl: engine.url!, secretKey: SECRET });
    const [original] = await failedRuns(other, 1);
    const tag = { taskIdentifier: "bulk-other", from: new Date(Date.now() - 60_000) };
    const counted = await runs.bulk.replay(tag, { dryRun: true });
    expect(counted.count).toBeGreaterThanOrEqual(2);
    const replayed = await runs.bulk.poll((await runs.bulk.replay(tag)).id, { timeoutMs: 20_000 });
    expect(replayed).toMatchObject({ status: "COMPLETED", total: counted.count, succeeded: counted.count });
    const canceled = await runs.bulk.poll((await runs.bulk.cancel({ status: ["QUEUED", "EXECUTING"], taskIdentifier: "bulk-other" })).id, { timeoutMs: 20_000 });
    expect(canceled.status).toBe("COMPLETED");
    expect(canceled.succeeded + canceled.failed).toBe(canceled.total);

    await expect(runs.bulk.fork({ taskIdentifier: "bulk-other" }, {} as { fromSeq: number })).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(runs.bulk.retrieve("bulk_nope")).rejects.toMatchObject({ code: "BULK_ACTION_NOT_FOUND" });
    await expect(runs.bulk.retrieve("bulk_nope")).rejects.toBeInstanceOf(DurablyError);
    expect((await runs.retrieve(original!)).status).toBe("FAILURE");
  }, 90_000);
});

/** Holds a run's row locked, as a long transaction would: a bulk action reaching it waits. */
async function holdRun(runId: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query("BEGIN");
  await client.query(`SELECT 1 FROM "${schema}".runs WHERE id = $1 FOR UPDATE`, [runId]);
  return async () => {
    await client.query("COMMIT");
    await client.end();
  };
}

/** The next value, or a failure naming what never came: the push, since nothing else wakes a follower. */
async function nextWithin<T>(iterator: AsyncIterator<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} was not pushed within 20 s`)), 20_000)));
  try {
    const next = await Promise.race([iterator.next(), timeUp]);
    if (next.done) throw new Error(`the subscription ended before ${what}`);
    return next.value;
  } finally {
    clearTimeout(timer);
  }
}

describe.each([
  ["direct", () => configure({ databaseUrl: TEST_DATABASE_URL, schema })],
  ["HTTP", () => configure({ baseUrl: engine.url!, secretKey: SECRET })],
] as const)("bulk progress through the %s backend", (_name, use) => {
  it("is pushed as the action goes (runs.bulk.subscribe), with no timer: a follower wakes only on the NOTIFY", async () => {
    use();
    const ids = (await failedRuns(other, 3)).sort();
    const releaseSecond = await holdRun(ids[1]!);
    const releaseThird = await holdRun(ids[2]!);
    const action = await runs.bulk.retry({ runIds: ids });
    const progress = runs.bulk.subscribe(action.id)[Symbol.asyncIterator]();
    try {
      expect(await nextWithin(progress, "the action as it is")).toMatchObject({ id: action.id, status: "RUNNING", total: 3 });
      // The first run is done and the action waits on the second. Its last push is made old, so
      // that finishing the second pushes at once (pushes are at most one per 100 ms).
      await until(async () => ((await runs.bulk.retrieve(action.id)).succeeded === 1 ? true : undefined), 20_000);
      await sql(`UPDATE "${schema}".bulk_actions SET heartbeat_at = now() - interval '1 second' WHERE id = $1`, [action.id]);
      await releaseSecond();
      let pushed: BulkAction;
      do pushed = await nextWithin(progress, "the second run's progress");
      while (pushed.succeeded < 2);
      expect(pushed).toMatchObject({ status: "RUNNING", succeeded: 2, failed: 0 });

      await releaseThird();
      do pushed = await nextWithin(progress, "the completed action");
      while (pushed.status !== "COMPLETED");
      expect(pushed).toMatchObject({ succeeded: 3, total: 3 });
      expect((await progress.next()).done).toBe(true);
    } finally {
      await releaseSecond().catch(() => undefined);
      await releaseThird().catch(() => undefined);
      await progress.return?.(undefined);
    }
  }, 90_000);
});

describe("GET /api/bulk-actions/:id/stream", () => {
  it("is for the secret key only (or a stream token for it), and 404 for an unknown action", async () => {
    configure({ baseUrl: engine.url!, secretKey: SECRET });
    const action = await runs.bulk.cancel({ runIds: ["run_none"] });
    const path = `/api/bulk-actions/${action.id}/stream`;
    const post = async (route: string, body: unknown) =>
      (await (await fetch(`${engine.url}${route}`, { method: "POST", headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" }, body: JSON.stringify(body) })).json()) as { token: string };
    const { token: publicToken } = await post("/api/tokens", { scopes: { read: { tags: ["any"] } } });
    expect((await fetch(`${engine.url}${path}`, { headers: { authorization: `Bearer ${publicToken}` } })).status).toBe(403);
    expect((await fetch(`${engine.url}/api/bulk-actions/bulk_nope/stream`, { headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(404);
    // The dashboard's EventSource: a stream token for this path, in the URL.
    const { token } = await post("/api/tokens/stream", { path });
    const stream = await fetch(`${engine.url}${path}?token=${token}`);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    const text = await stream.text();
    expect(text).toContain("event: bulk\n");
    expect(text).toMatch(/event: end\n/);
  }, 30_000);
});

describe("runs.bulk with runIds", () => {
  it("acts only on the runs named, whatever else matches, and refuses more than 500 ids", async () => {
    configure({ databaseUrl: TEST_DATABASE_URL, schema });
    const [picked] = await failedRuns(other, 2);
    const count = async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE task_id = 'bulk-other'`))[0]!.n;
    const before = await count();
    const counted = await runs.bulk.replay({ runIds: [picked!, "run_unknown"], taskIdentifier: "bulk-other" }, { dryRun: true });
    expect(counted.count).toBe(1);
    const done = await runs.bulk.poll((await runs.bulk.replay({ runIds: [picked!] })).id, { timeoutMs: 20_000 });
    expect(done).toMatchObject({ total: 1, succeeded: 1 });
    expect(await count()).toBe(before + 1);
    await expect(runs.bulk.cancel({ runIds: Array.from({ length: 501 }, (_, i) => `run_${i}`) })).rejects.toBeInstanceOf(InvalidPayloadError);
  }, 60_000);
});

describe("a bulk action whose process is killed with kill -9", () => {
  const crashSchema = uniqueSchema("bulk_crash");
  afterAll(() => dropSchemas(crashSchema));
  const crash = task({ id: "bulk-crash", run: async () => "ok" });

  it("is taken over by an engine once its heartbeat lapses, and each run is acted on exactly once", async () => {
    await startTestEngine("bulk_crash", { schema: crashSchema, tasks: [crash], worker: false, heartbeatSeconds: 1, recoverySeconds: 1 });
    configure({ databaseUrl: TEST_DATABASE_URL, schema: crashSchema });
    const originals: string[] = [];
    for (let i = 0; i < 12; i++) originals.push((await crash.trigger({})).id);

    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/bulk-crash-worker.ts", import.meta.url)), TEST_DATABASE_URL, crashSchema], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await once(child.stdout!, "data");
    child.kill("SIGKILL");
    await once(child, "exit");
    const [paused] = await sql<{ status: string; succeeded: number }>(`SELECT status, succeeded FROM "${crashSchema}".bulk_actions`);
    expect(paused).toEqual({ status: "RUNNING", succeeded: 4 });

    const done = await until(async () => {
      const [row] = await sql<{ status: string; total: number; succeeded: number; failed: number }>(`SELECT status, total, succeeded, failed FROM "${crashSchema}".bulk_actions`);
      return row?.status === "COMPLETED" ? row : undefined;
    }, 30_000);
    expect(done).toEqual({ status: "COMPLETED", total: 12, succeeded: 12, failed: 0 });
    const forks = await sql<{ forked_from: string; n: number }>(
      `SELECT forked_from, count(*)::int AS n FROM "${crashSchema}".runs WHERE forked_from IS NOT NULL GROUP BY forked_from ORDER BY forked_from`,
    );
    expect(forks).toEqual(originals.sort().map((id) => ({ forked_from: id, n: 1 })));
  }, 60_000);
});
