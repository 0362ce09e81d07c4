// keepStatusHistory: a purged run whose history is kept longer leaves exactly its status entries
// and metadata history (and a kept_histories row with its chain head), still readable and
// verifiable, until that longer time comes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, Client, configure, metadata, runs, task } from "durably";
import { createEngine, type Engine } from "durably/engine";
import { disconnect } from "../sdk/backend.ts";
import { dropSchemas, sql, TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const schema = uniqueSchema("retention_keep");
const SECRET = "retention-keep-secret-0123456789";

const keptChild = task({ id: "keep-child", run: async () => {
  await metadata.parent.increment("children");
  return "ok";
} });
/** Statuses, metadata changes (one by a child) and a step: every kind of row a run owns. */
const keptTask = task({
  id: "keep-audited",
  retention: { keepStatusHistory: "60d" },
  run: async (_: null, { io }) => {
    const status = await io.createStatus("resize", { label: "Resizing", state: "loading" });
    await metadata.set("phase", "resizing");
    await io.runTask("step", async () => 1);
    await keptChild.triggerAndWait(null);
    await status.update("resized", { state: "success" });
    return "done";
  },
});
const plainTask = task({ id: "keep-plain", run: async (_: null, { io }) => {
  await io.createStatus("only", { label: "Once", state: "success" });
  metadata.set("plain", true);
  return "plain";
} });

const client = new Client({ id: "retention-keep" });
let engine: Engine;
beforeAll(async () => {
  engine = createEngine({
    databaseUrl: TEST_DATABASE_URL, schema, tasks: [keptTask, keptChild, plainTask], http: { port: 0 }, secretKey: SECRET,
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

/** Every row of every table of the schema, as JSON text, by table. */
async function snapshot(): Promise<Record<string, string[]>> {
  const tables = await sql<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [schema]);
  const all: Record<string, string[]> = {};
  for (const { name } of tables) {
    all[name] = (await sql<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM "${schema}"."${name}" t`)).map((r) => r.row).sort();
  }
  return all;
}
const mentions = (row: string, ids: string[]) => ids.some((id) => row.includes(`"${id}"`));
/** The history rows of `id` a kept history keeps: its status entries and its metadata history. */
const historyOf = (table: string, row: string, id: string) =>
  (table === "journal" && mentions(row, [id]) && row.includes(`"kind": "status"`)) || (table === "run_metadata_history" && mentions(row, [id]));

describe("keepStatusHistory", () => {
  it("a purge keeps exactly the status and metadata history of runs whose task keeps it, readable and verifiable, until their time comes", async () => {
    const kept = (await keptTask.trigger(null, { metadata: { owner: "ops" } })).id;
    const plain = (await plainTask.trigger(null)).id;
    for (const id of [kept, plain]) expect(await finished(id)).toBe("SUCCESS");
    const [child] = (await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE parent_run_id = $1`, [kept])).map((r) => r.id);
    // The child's task keeps nothing: it goes whole with its parent.
    await ageDays([kept, child!, plain], 40);
    const statuses = await client.getRunStatuses(kept);
    const metadataHistory = async () => {
      const response = await fetch(`${engine.url}/api/runs/${kept}/metadata/history`, { headers: { authorization: `Bearer ${SECRET}` } });
      return [response.status, ((await response.json()) as { changes: unknown }).changes];
    };
    const history = await metadataHistory();
    const exported = await audit.export(kept);
    expect(exported.versions.length).toBeGreaterThanOrEqual(5);
    await engine.stop();
    let before: Record<string, string[]>;
    let after: Record<string, string[]>;
    try {
      before = await snapshot();
      expect(await runs.purge({ olderThan: "30d" })).toEqual({ count: 3, dryRun: false });
      after = await snapshot();
    } finally {
      await engine.start();
    }
    const gone = [kept, child!, plain];
    // Every row of the three runs went, but the kept run's history rows; a kept_histories row came.
    const expected = Object.fromEntries(Object.entries(before).map(([table, rows]) =>
      [table, rows.filter((row) => !mentions(row, gone) || historyOf(table, row, kept))]));
    const { kept_histories: keptRows, ...rest } = after;
    const { kept_histories: keptBefore, ...expectedRest } = expected;
    expect(keptBefore).toEqual([]);
    expect(rest).toEqual(expectedRest);
    expect(expected.journal!.filter((row) => mentions(row, [kept]))).toHaveLength(exported.versions.filter((v) => v.table === "journal").length);
    expect(keptRows!.map((row) => JSON.parse(row) as Record<string, unknown>).map((row) => [row.run_id, row.task_id, row.status])).toEqual([[kept, "keep-audited", "SUCCESS"]]);

    // Readable as before the purge (but the output, which went with the run), and still verified.
    const read = await client.getRunStatuses(kept);
    expect(read.statuses).toEqual(statuses.statuses);
    expect(read.run).toEqual({ ...statuses.run, output: undefined });
    expect(await metadataHistory()).toEqual(history);
    expect(await audit.export(kept)).toEqual(exported);
    const verified = await audit.verify({ runId: kept });
    expect([verified.broken, verified.verified]).toEqual([null, exported.versions.length]);
    expect((await audit.verify()).broken).toBeNull();
    await expect(runs.retrieve(kept)).rejects.toThrow(/No run with id/);
    await expect(client.getRunStatuses(plain)).rejects.toThrow(/No run with id/);
    // Over HTTP with the secret key too.
    const response = await fetch(`${engine.url}/api/runs/${kept}/statuses`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect([response.status, ((await response.json()) as { statuses: unknown }).statuses]).toEqual([200, JSON.parse(JSON.stringify(statuses.statuses))]);

    // Its time comes (60 days after it finished): a retention pass removes the kept history, and nothing else.
    await sql(`UPDATE "${schema}".kept_histories SET keep_until = now() - interval '1 second' WHERE run_id = $1`, [kept]);
    // Tasks aside: an engine starting registers them anew.
    const { tasks: _tasks, ...untouched } = Object.fromEntries(Object.entries(after).map(([table, rows]) => [table, rows.filter((row) => !mentions(row, [kept]))]));
    const sweeper = await startTestEngine("retention_keep_sweep", { schema, tasks: [keptTask, keptChild, plainTask], retention: "3650d" });
    await until(async () => ((await sql(`SELECT 1 FROM "${schema}".kept_histories`)).length === 0 ? true : undefined), 30_000);
    await sweeper.stop();
    const { tasks: _registered, ...swept } = await snapshot();
    expect(swept).toEqual(untouched);
    await expect(client.getRunStatuses(kept)).rejects.toThrow(/No run with id/);
  }, 120_000);

  it("the engine's retention keeps the history of runs whose task says nothing, and lets it go when its own time comes", async () => {
    const own = uniqueSchema("retention_keep_loop");
    await startTestEngine("retention_keep_loop", { schema: own, tasks: [plainTask], retention: { runs: "1s", keepStatusHistory: "4s" } });
    try {
      configure({ databaseUrl: TEST_DATABASE_URL, schema: own });
      const id = (await plainTask.trigger(null)).id;
      expect(await finished(id)).toBe("SUCCESS");
      const statuses = (await client.getRunStatuses(id)).statuses;
      await until(async () => ((await sql(`SELECT 1 FROM "${own}".runs WHERE id = $1`, [id])).length === 0 ? true : undefined), 30_000);
      expect((await client.getRunStatuses(id)).statuses).toEqual(statuses);
      const left = () => sql<{ kind: string }>(`SELECT kind FROM "${own}".journal WHERE run_id = $1`, [id]);
      expect((await left()).map((r) => r.kind)).toEqual(["status"]);
      await until(async () => ((await sql(`SELECT 1 FROM "${own}".kept_histories`)).length === 0 ? true : undefined), 30_000);
      expect(await left()).toEqual([]);
      expect(await sql(`SELECT 1 FROM "${own}".run_metadata_history WHERE run_id = $1`, [id])).toEqual([]);
    } finally {
      await disconnect();
      configure({ databaseUrl: TEST_DATABASE_URL, schema });
      await dropSchemas(own);
    }
  }, 60_000);

  it("a purge keeps what its keepStatusHistory says for tasks that say nothing, and refuses one that is not a duration", async () => {
    const id = (await plainTask.trigger(null)).id;
    expect(await finished(id)).toBe("SUCCESS");
    await ageDays([id], 10);
    await expect(runs.purge({ olderThan: "5d", keepStatusHistory: "forever" })).rejects.toThrow(/keepStatusHistory must be at least one second/);
    // Finished 10 days ago, kept 5 days: already past, nothing kept.
    expect(await runs.purge({ olderThan: "5d", task: "keep-plain", keepStatusHistory: "5d" })).toEqual({ count: 1, dryRun: false });
    expect(await sql(`SELECT 1 FROM "${schema}".kept_histories WHERE run_id = $1`, [id])).toEqual([]);
    const again = (await plainTask.trigger(null)).id;
    expect(await finished(again)).toBe("SUCCESS");
    await ageDays([again], 10);
    expect(await runs.purge({ olderThan: "5d", task: "keep-plain", keepStatusHistory: "30d" })).toEqual({ count: 1, dryRun: false });
    expect((await client.getRunStatuses(again)).statuses.map((status) => status.key)).toEqual(["only"]);
    expect(() => task({ id: "keep-bad", retention: { keepStatusHistory: "1 year" }, run: async () => 1 }))
      .toThrow(/retention of task "keep-bad".keepStatusHistory must be at least one second/);
    expect(() => createEngine({ databaseUrl: TEST_DATABASE_URL, retention: { runs: "1d", keep: "1y" } as never })).toThrow(/keep/);
  }, 60_000);

  it("a public token reads a kept history as it read the run: scoped to its id, one of its tags or its task, and no other", async () => {
    const id = (await plainTask.trigger(null, { tags: ["keep:tagged"] })).id;
    const other = (await plainTask.trigger(null, { tags: ["keep:other"] })).id;
    for (const run of [id, other]) expect(await finished(run)).toBe("SUCCESS");
    await ageDays([id, other], 10);
    const tokenFor = async (read: Record<string, string[]>) => {
      const response = await fetch(`${engine.url}/api/tokens`, {
        method: "POST", headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" }, body: JSON.stringify({ scopes: { read } }),
      });
      return ((await response.json()) as { token: string }).token;
    };
    const tokens = {
      id: await tokenFor({ runs: [id] }), tag: await tokenFor({ tags: ["keep:tagged"] }), task: await tokenFor({ tasks: ["keep-plain"] }),
      otherTag: await tokenFor({ tags: ["keep:other"] }), otherRun: await tokenFor({ runs: [other] }),
    };
    const read = async (path: string, credential: string) => {
      const response = await fetch(`${engine.url}/api/runs/${id}/${path}`, { headers: { authorization: `Bearer ${credential}` } });
      return [response.status, await response.json()];
    };
    const paths = ["statuses", "metadata/history"];
    const live = await Promise.all(paths.map((path) => read(path, tokens.tag)));
    expect(await runs.purge({ olderThan: "5d", task: "keep-plain", keepStatusHistory: "30d" })).toEqual({ count: 2, dryRun: false });
    expect(await sql(`SELECT tags FROM "${schema}".kept_histories WHERE run_id = $1`, [id])).toEqual([{ tags: ["keep:tagged"] }]);
    for (const [i, path] of paths.entries()) {
      const bySecret = await read(path, SECRET);
      expect(bySecret[0]).toBe(200);
      // As the secret key reads it now, and as the token read it before the purge but the run's output.
      for (const token of [tokens.id, tokens.tag, tokens.task]) expect(await read(path, token)).toEqual(bySecret);
      const [, before] = live[i]! as [number, { run: Record<string, unknown> }];
      expect(bySecret[1]).toEqual({ ...before, run: { ...before.run, output: undefined } });
      for (const token of [tokens.otherTag, tokens.otherRun]) expect((await read(path, token))[0]).toBe(403);
    }
  }, 60_000);
});
