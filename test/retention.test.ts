import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, configure, eventTrigger, logger, metadata, runs, streams, task, wait } from "durably";
import { createEngine, type Engine } from "durably/engine";
import { disconnect } from "../sdk/backend.ts";
import { dropSchemas, sql, TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const SECRET = "retention-secret-key-0123456789";
const schema = uniqueSchema("retention");
const boss = `${schema}_boss`;
const notes = streams.define<string>({ id: "notes" });

const child = task({
  id: "ret-child",
  run: async (payload: { n: number }) => {
    logger.info("child line", { n: payload.n });
    metadata.set("n", payload.n);
    await notes.append(`chunk ${payload.n}`);
    return payload.n * 2;
  },
});
const leaf = task({ id: "ret-leaf", retry: { maxAttempts: 1 }, run: async (payload: { fail?: boolean }) => {
  if (payload.fail) throw new Error("failed leaf");
  return "leaf";
} });
const parent = task({
  id: "ret-parent",
  run: async (payload: { token: string }) => {
    logger.info("parent line");
    metadata.set("step", "children");
    const doubled = await child.triggerAndWait({ n: 1 });
    await wait.forToken(payload.token);
    return doubled;
  },
});
/** Starts a child and ends without waiting for it. */
const starter = task({
  id: "ret-starter",
  run: async (payload: { delay?: string }) => (await leaf.trigger({}, payload.delay ? { delay: payload.delay } : {})).id,
});

const client = new Client({ id: "retention" });
client.defineJob({ id: "ret-job", name: "Retention job", version: "1", trigger: eventTrigger({ name: "ret.event" }), run: async (payload: { n: number }) => payload.n });

let engine: Engine;
beforeAll(async () => {
  engine = createEngine({
    databaseUrl: TEST_DATABASE_URL, schema, tasks: [child, leaf, parent, starter], clients: [client], http: { port: 0 }, secretKey: SECRET,
    logLevel: "error", pollIntervalMs: 200,
  });
  await engine.start();
  configure({ databaseUrl: TEST_DATABASE_URL, schema });
});
afterAll(async () => {
  await disconnect();
  await engine?.stop();
  await dropSchemas(schema);
});

const finished = async (id: string) => (await runs.poll(id, { timeoutMs: 30_000 })).status;
const ageDays = (ids: string[], days: number) =>
  sql(`UPDATE "${schema}".runs SET created_at = created_at - make_interval(days => $2), finished_at = finished_at - make_interval(days => $2) WHERE id = ANY($1)`, [ids, days]);
const childrenOf = async (id: string) =>
  (await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE parent_run_id = $1 ORDER BY id`, [id])).map((r) => r.id);

/**
 * Every row of every table of the schema (and the run jobs of pg-boss not done yet: pg-boss deletes
 * done ones itself, a day after), as JSON text, by table.
 */
async function snapshot(): Promise<Record<string, string[]>> {
  const tables = await sql<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [schema]);
  const all: Record<string, string[]> = {};
  for (const { name } of tables) {
    all[name] = (await sql<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM "${schema}"."${name}" t`)).map((r) => r.row).sort();
  }
  all["boss.job"] = (await sql<{ row: string }>(`SELECT to_jsonb(j)::text AS row FROM "${boss}".job j WHERE name = 'durably-run' AND state IN ('created', 'retry', 'active', 'failed')`)).map((r) => r.row).sort();
  return all;
}

const mentions = (row: string, ids: string[]) => ids.some((id) => row.includes(`"${id}"`));

describe("runs.purge", () => {
  it("removes every row a purged run owned and leaves every other row as it was, children and unfinished runs included", async () => {
    // A tree old enough: a parent with a child (logs, metadata, a stream), a waitpoint it waited on, a fork of the child.
    const token = await wait.createToken({ timeout: "1h" });
    const oldParent = (await parent.trigger({ token: token.id })).id;
    const waiting = () => sql(`SELECT 1 FROM "${schema}".waitpoints WHERE id = $1 AND $2 = ANY(run_ids)`, [token.id, oldParent]);
    await until(async () => ((await waiting()).length === 1 ? true : undefined), 30_000);
    await wait.completeToken(token.id, { ok: true });
    expect(await finished(oldParent)).toBe("SUCCESS");
    const [oldChild] = await childrenOf(oldParent);
    const fork = (await runs.fork(oldChild!, { fromSeq: 1 })).id;
    expect(await finished(fork)).toBe("SUCCESS");
    // A batch of old runs, one of which failed.
    const batch = await leaf.batchTrigger([{ payload: {} }, { payload: { fail: true } }]);
    const batchIds = batch.runs.map((r) => r.id);
    const batchStatuses = await Promise.all(batchIds.map(finished));
    expect(batchStatuses.sort()).toEqual(["FAILURE", "SUCCESS"]);
    // Kept: an old parent whose child is still queued (and that child), an old parent whose child is recent, a recent run.
    const waitingParent = (await starter.trigger({ delay: "1h" })).id;
    expect(await finished(waitingParent)).toBe("SUCCESS");
    const recentParent = (await starter.trigger({})).id;
    expect(await finished(recentParent)).toBe("SUCCESS");
    const [recentChild] = await childrenOf(recentParent);
    expect(await finished(recentChild!)).toBe("SUCCESS");
    const recent = (await leaf.trigger({})).id;
    expect(await finished(recent)).toBe("SUCCESS");
    const [queuedChild] = await childrenOf(waitingParent);
    // An old event's run goes with its event; a recent event and its run stay.
    const eventRun = async (n: number) => {
      const event = await client.sendEvent({ name: "ret.event", payload: { n } });
      const [run] = await client.getEventRuns(event.id);
      expect(await finished(run!.id)).toBe("SUCCESS");
      return { eventId: event.id, runId: run!.id };
    };
    const oldEvent = await eventRun(1);
    const recentEvent = await eventRun(2);

    const purged = [oldParent, oldChild!, fork, ...batchIds, oldEvent.runId];
    await ageDays([...purged, waitingParent, queuedChild!, recentParent], 40);
    // Nothing of these runs may change while the snapshots are compared.
    await engine.stop();
    try {
      const before = await snapshot();
      for (const id of purged) expect(Object.values(before).flat().filter((row) => mentions(row, [id])).length).toBeGreaterThan(0);
      expect(before.stream_chunks!.some((row) => mentions(row, [oldChild!]))).toBe(true);
      expect(before.waitpoints!.some((row) => mentions(row, [oldParent]))).toBe(true);
    expect(before.events!.filter((row) => mentions(row, [oldEvent.eventId, recentEvent.eventId]))).toHaveLength(2);

      // The status filter picks roots: only the failed leaf matches, and it goes alone.
      expect(await runs.purge({ olderThan: "30d", status: "FAILURE", dryRun: true })).toEqual({ count: 1, dryRun: true });
      expect(await runs.purge({ olderThan: "60d", dryRun: true })).toEqual({ count: 0, dryRun: true });
      expect(await runs.purge({ olderThan: "30d", dryRun: true })).toEqual({ count: purged.length, dryRun: true });
      expect(await snapshot()).toEqual(before);

      expect(await runs.purge({ olderThan: "30d" })).toEqual({ count: purged.length, dryRun: false });
      const after = await snapshot();
      const gone = [...purged, oldEvent.eventId];
    const expected = Object.fromEntries(Object.entries(before).map(([table, rows]) => [table, rows.filter((row) => !mentions(row, gone))]));
      expect(after).toEqual(expected);
      const left = await sql<{ id: string }>(`SELECT id FROM "${schema}".runs ORDER BY id`);
      expect(left.map((r) => r.id)).toEqual([waitingParent, queuedChild!, recentParent, recentChild!, recent, recentEvent.runId].sort());
      expect(await runs.purge({ olderThan: "30d" })).toEqual({ count: 0, dryRun: false });

      await expect(runs.purge({ olderThan: "soon" })).rejects.toThrow(/olderThan must be at least one second/);
      await expect(runs.purge({ olderThan: "30d", status: "QUEUED" as never })).rejects.toThrow(/only finished runs are purged/);
    } finally {
      await engine.start();
    }
  }, 120_000);

  it("over HTTP: the secret key only, the same answer as the SDK, and 400 on bad input", async () => {
    const id = (await leaf.trigger({})).id;
    expect(await finished(id)).toBe("SUCCESS");
    await ageDays([id], 10);
    const post = (body: unknown, key = SECRET) =>
      fetch(`${engine.url}/api/runs/purge`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post({ olderThan: "5d" }, "wrong-key")).status).toBe(401);
    for (const bad of [{}, { olderThan: "5 days" }, { olderThan: "5d", status: "WAITING" }, { olderThan: "5d", extra: 1 }]) {
      const response = await post(bad);
      expect([response.status, JSON.stringify(bad)]).toEqual([400, JSON.stringify(bad)]);
    }
    const dry = await post({ olderThan: "5d", task: "ret-leaf", dryRun: true });
    expect([dry.status, await dry.json()]).toEqual([200, { count: 1, dryRun: true }]);
    // The SDK over HTTP gives the same answers.
    configure({ baseUrl: engine.url!, secretKey: SECRET });
    try {
      expect(await runs.purge({ olderThan: 5 * 86_400, task: "ret-leaf", dryRun: true })).toEqual({ count: 1, dryRun: true });
      await expect(runs.purge({ olderThan: "5 days" })).rejects.toThrow(/olderThan must be at least one second/);
      expect(await runs.purge({ olderThan: "5d", task: "ret-leaf", status: ["SUCCESS"] })).toEqual({ count: 1, dryRun: false });
    } finally {
      await disconnect();
      configure({ databaseUrl: TEST_DATABASE_URL, schema });
    }
    expect(await sql(`SELECT id FROM "${schema}".runs WHERE id = $1`, [id])).toEqual([]);
    const again = await post({ olderThan: "5d", task: "ret-leaf" });
    expect([again.status, await again.json()]).toEqual([200, { count: 0, dryRun: false }]);
  }, 60_000);
});

describe("retention", () => {
  it("a worker engine purges runs past their task's retention, else the engine's, and keeps the others", async () => {
    const brief = task({ id: "ret-brief", retention: "1s", run: async () => "brief" });
    const kept = task({ id: "ret-kept", retention: "1h", run: async () => "kept" });
    const plain = task({ id: "ret-plain", run: async () => "plain" });
    const own = uniqueSchema("retention_loop");
    await startTestEngine("retention_loop", { schema: own, tasks: [brief, kept, plain], retention: "2s" });
    try {
      configure({ databaseUrl: TEST_DATABASE_URL, schema: own });
      const ids = [(await brief.trigger({})).id, (await kept.trigger({})).id, (await plain.trigger({})).id];
      for (const id of ids) expect(await finished(id)).toBe("SUCCESS");
      const left = () => sql<{ task_id: string }>(`SELECT task_id FROM "${own}".runs ORDER BY task_id`);
      await until(async () => ((await left()).length === 1 ? true : undefined), 30_000);
      expect(await left()).toEqual([{ task_id: "ret-kept" }]);
      expect(await sql(`SELECT 1 FROM "${own}".journal UNION ALL SELECT 1 FROM "${own}".run_metadata_history`)).toHaveLength(
        (await sql(`SELECT 1 FROM "${own}".journal j JOIN "${own}".runs r ON r.id = j.run_id UNION ALL SELECT 1 FROM "${own}".run_metadata_history h JOIN "${own}".runs r ON r.id = h.run_id`)).length,
      );
    } finally {
      await disconnect();
      configure({ databaseUrl: TEST_DATABASE_URL, schema });
      await dropSchemas(own);
    }
  }, 60_000);

  it("refuses a retention that is not a duration", () => {
    expect(() => task({ id: "ret-bad", retention: "forever", run: async () => 1 })).toThrow(/retention of task "ret-bad" must be at least one second/);
    expect(() => createEngine({ databaseUrl: TEST_DATABASE_URL, retention: "0s" })).toThrow(/retention must be at least one second/);
  });
});

describe("durably purge", () => {
  const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
  const cli = (args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: TEST_DATABASE_URL };
    delete env.DURABLY_SECRET_KEY;
    const result = spawnSync(process.execPath, [bin, ...args, "--schema", schema], { env, encoding: "utf8", timeout: 60_000 });
    return { code: result.status, out: result.stdout, err: result.stderr };
  };

  it("prints how many runs it would purge, then purges them; bad input is one line and exit code 1", async () => {
    const ids = [(await leaf.trigger({ fail: true })).id, (await leaf.trigger({ fail: true })).id, (await leaf.trigger({})).id];
    for (const id of ids) await finished(id);
    await ageDays(ids, 31);
    const dry = cli(["purge", "--older-than", "30d", "--task", "ret-leaf", "--status", "FAILURE", "--dry-run"]);
    expect([dry.code, dry.out]).toEqual([0, "Would purge 2 runs (dry run: nothing deleted)\n"]);
    const done = cli(["purge", "--older-than", "30d", "--task", "ret-leaf", "--status", "failure"]);
    expect([done.code, done.out]).toEqual([0, "Purged 2 runs\n"]);
    expect((await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE id = ANY($1)`, [ids])).map((r) => r.id)).toEqual([ids[2]]);
    const json = cli(["purge", "--older-than", "2592000", "--json"]);
    expect([json.code, JSON.parse(json.out)]).toEqual([0, { count: 1, dryRun: false }]);

    const missing = cli(["purge"]);
    expect([missing.code, missing.err.split("\n")[0]]).toEqual([1, "durably purge needs --older-than, e.g. --older-than 30d"]);
    const unfinished = cli(["purge", "--older-than", "30d", "--status", "QUEUED"]);
    expect(unfinished.code).toBe(1);
    expect(unfinished.err).toMatch(/only finished runs are purged/);
  }, 120_000);
});
