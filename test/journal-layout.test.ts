import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { metadata, runs, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { serviceOf } from "../engine/internal.ts";

const calls = { fetch: 0, notify: 0 };
const shaped = task({
  id: "layout",
  run: async (_: Record<string, never>, { io }) => {
    const user = await io.runTask("fetch", async () => {
      calls.fetch++;
      return { name: "Ada", at: new Date(0) };
    });
    await io.createStatus("progress", { label: "Fetched", state: "loading" });
    await metadata.set("user", user.name);
    await io.runTask("notify", async () => {
      calls.notify++;
    });
    return user.name;
  },
});

describe("the journal's layout", () => {
  it("keeps each new entry's output as the JSON text the engine wrote (output_json), not as jsonb, and its usual attempt counts out of the row", async () => {
    const engine = await startTestEngine("layout_new", { tasks: [shaped] });
    const { id } = await shaped.trigger({});
    expect(await runs.poll(id, { timeoutMs: 30_000 })).toMatchObject({ status: "SUCCESS", output: "Ada" });

    const rows = await sql<{ kind: string; jsonb: unknown; text: string; attempts: number | null; before: number | null }>(
      `SELECT kind, output AS jsonb, output_json::text AS text, attempts, attempts_before_retry AS before
       FROM "${engine.options.schema}".journal WHERE run_id = $1 ORDER BY seq`, [id]);
    expect(rows.map((r) => [r.kind, r.jsonb])).toEqual([["task", null], ["status", null], ["metadata", null], ["task", null]]);
    // One attempt and none before a manual retry, as every entry here: left out of the row (migration 40).
    expect(rows.map((r) => [r.attempts, r.before])).toEqual(Array(4).fill([null, null]));
    expect((await serviceOf(engine).getJournal(id)).map((e) => e.attempts)).toEqual([1, 1, 1, 1]);
    expect(rows[0]!.text).toBe(JSON.stringify(superjson.serialize({ name: "Ada", at: new Date(0) })));
    // A metadata entry's output is the run's metadata as the statement merged it, in jsonb's text.
    expect(JSON.parse(rows[2]!.text)).toEqual({ json: { user: "Ada" } });
    expect(rows[3]!.text).toBe(JSON.stringify(superjson.serialize(undefined)));
  });

  it("replays, lists and reads statuses from entries written before migration 39, whose output is jsonb", async () => {
    const engine = await startTestEngine("layout_old", { tasks: [shaped] });
    const s = `"${engine.options.schema}"`;
    const id = "run_layout_old";
    const fetched = superjson.serialize({ name: "Grace", at: new Date(0) });
    await sql(`INSERT INTO ${s}.runs (id, task_id, task_version, payload, status, revision, metadata) VALUES ($1, 'layout', '1', '{"json": {}}', 'FAILURE', 4, '{"user": "Grace"}')`, [id]);
    await sql(`
      INSERT INTO ${s}.journal (run_id, seq, kind, key, status, output, attempts, revision, started_at) VALUES
        ($1, 1, 'task', 'fetch', 'completed', $2, 1, 2, now()),
        ($1, 2, 'status', 'progress', 'completed', $3, 1, 3, now()),
        ($1, 3, 'metadata', 'set:user', 'completed', $4, 1, 4, now())`,
      [id, fetched, { json: { key: "progress", label: "Fetched", state: "loading" } }, { json: { user: "Grace" } }]);
    const before = { ...calls };

    await runs.retry(id);
    expect(await runs.poll(id, { timeoutMs: 30_000 })).toMatchObject({ status: "SUCCESS", output: "Grace" });
    expect(calls).toEqual({ fetch: before.fetch, notify: before.notify + 1 });

    const journal = await serviceOf(engine).getJournal(id);
    expect(journal.map((e) => [e.seq, e.key])).toEqual([[1, "fetch"], [2, "progress"], [3, "set:user"], [4, "notify"]]);
    expect(journal[0]!.output).toEqual({ name: "Grace", at: new Date(0) });
    const { statuses } = await serviceOf(engine).getRunStatuses(id);
    expect(statuses.map((v) => [v.key, v.label, v.state])).toEqual([["progress", "Fetched", "loading"]]);
    const layout = await sql<{ seq: number; old: boolean; new: boolean }>(
      `SELECT seq, output IS NOT NULL AS old, output_json IS NOT NULL AS new FROM ${s}.journal WHERE run_id = $1 ORDER BY seq`, [id]);
    expect(layout).toEqual([{ seq: 1, old: true, new: false }, { seq: 2, old: true, new: false }, { seq: 3, old: true, new: false }, { seq: 4, old: false, new: true }]);
  });
});
