import { describe, expect, it } from "vitest";
import { schedules, task, TaskNotFoundError, type ScheduledPayload } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";
import { serviceOf } from "../engine/internal.ts";

const scheduleTicks = (schema: string) =>
  sql<{ data: { scheduleId: string; at: string } }>(`SELECT data FROM "${schema}_boss".job WHERE name = 'durably-schedule'`);

describe("schedules", () => {
  it("a per-second cron fires every second with its scheduled time, once per occurrence across two engines", async () => {
    const ticks = task({ id: "ticks", run: async (p: ScheduledPayload) => p.timestamp.toISOString() });
    const a = await startTestEngine("sched", { tasks: [ticks] });
    await startTestEngine("sched_b", { schema: a.options.schema, tasks: [ticks] });
    const created = await schedules.create({ task: "ticks", cron: "* * * * * *", deduplicationKey: "every-second" });
    const again = await schedules.create({ task: "ticks", cron: "* * * * * *", deduplicationKey: "every-second" });
    expect(again.id).toBe(created.id);
    const schema = a.options.schema;
    const ticked = async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE task_id = 'ticks'`))[0]!.n;
    await until(async () => ((await ticked()) >= 3 ? true : undefined), 20_000);
    await schedules.del(created.id);
    // The chain's pending job finds the schedule gone and ends without a successor: from then on
    // nothing can fire, so the runs below are all the schedule ever started.
    await until(async () => {
      const pending = await sql(`SELECT 1 FROM "${schema}_boss".job WHERE name = 'durably-schedule' AND state IN ('created', 'retry', 'active')`);
      return pending.length === 0 ? true : undefined;
    }, 20_000);
    const rows = await sql<{ scheduled_for: Date; status: string; output: { json: string } }>(
      `SELECT scheduled_for, status, output FROM "${schema}".runs WHERE task_id = 'ticks' ORDER BY scheduled_for`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const times = rows.map((r) => r.scheduled_for.getTime());
    expect(new Set(times).size).toBe(times.length);
    for (const t of times) expect(t % 1000).toBe(0);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
    const done = rows.filter((r) => r.status === "SUCCESS");
    for (const r of done) expect(r.output.json).toBe(r.scheduled_for.toISOString());
    expect(await schedules.list()).toEqual([]);
  });

  it("creating a schedule for a task no engine registered is refused with TASK_NOT_FOUND (404 over HTTP) and writes nothing; deleting an unknown one is a 404", async () => {
    const engine = await startTestEngine("sched_unknown", { tasks: [], http: { port: 0 }, devMode: true });
    const schema = engine.options.schema;
    await expect(schedules.create({ task: "nope", cron: "* * * * *", deduplicationKey: "nope" })).rejects.toBeInstanceOf(TaskNotFoundError);
    const response = await fetch(`${engine.url}/api/schedules`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ task: "nope", cron: "* * * * *", deduplicationKey: "nope" }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "TASK_NOT_FOUND" } });
    expect(await sql(`SELECT id FROM "${schema}".schedules`)).toEqual([]);
    expect(await scheduleTicks(schema)).toEqual([]);
    const deleted = await fetch(`${engine.url}/api/schedules/sched_nope`, { method: "DELETE" });
    expect([deleted.status, await deleted.json()]).toMatchObject([404, { error: { code: "SCHEDULE_NOT_FOUND" } }]);
  });

  it("an occurrence whose task is not registered is skipped, logged once, and the chain moves on to the next", async () => {
    const engine = await startTestEngine("sched_gone", { tasks: [] });
    const schema = engine.options.schema;
    // A schedule written before creation checked its task (or whose task rows are gone).
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    await sql(`INSERT INTO "${schema}".schedules (id, task_id, cron, deduplication_key, next_at) VALUES ('sched_gone', 'gone', '0 3 * * *', 'gone', $1)`, [at]);
    const logged: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (message: string) => void logged.push(message) };

    await serviceOf(engine).schedules.fire({ scheduleId: "sched_gone", at: at.toISOString() }, logger);

    expect(logged).toEqual(["a schedule's task is not registered: occurrence skipped"]);
    expect(await sql(`SELECT id FROM "${schema}".runs`)).toEqual([]);
    const [row] = await sql<{ next_at: Date }>(`SELECT next_at FROM "${schema}".schedules WHERE id = 'sched_gone'`);
    expect(row!.next_at.getTime()).toBeGreaterThan(Date.now());
    expect((await scheduleTicks(schema)).map((t) => t.data)).toEqual([{ scheduleId: "sched_gone", at: row!.next_at.toISOString() }]);
  });

  it("a declarative schedule on task() is created when the engine starts", async () => {
    const nightly = task({ id: "nightly", schedule: { cron: "0 3 * * *", timezone: "Europe/Paris" }, run: async () => "ok" });
    await startTestEngine("sched_decl", { tasks: [nightly] });
    expect(await schedules.list({ task: "nightly" })).toMatchObject([
      { task: "nightly", cron: "0 3 * * *", timezone: "Europe/Paris", declarative: true, deduplicationKey: "task:nightly" },
    ]);
  });
});
