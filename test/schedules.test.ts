import { describe, expect, it } from "vitest";
import { schedules, task, type ScheduledPayload } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";

describe("schedules", () => {
  it("a per-second cron fires every second with its scheduled time, once per occurrence across two engines", async () => {
    const ticks = task({ id: "ticks", run: async (p: ScheduledPayload) => p.timestamp.toISOString() });
    const a = await startTestEngine("sched", { tasks: [ticks] });
    await startTestEngine("sched_b", { schema: a.options.schema, tasks: [ticks] });
    const created = await schedules.create({ task: "ticks", cron: "* * * * * *", deduplicationKey: "every-second" });
    const again = await schedules.create({ task: "ticks", cron: "* * * * * *", deduplicationKey: "every-second" });
    expect(again.id).toBe(created.id);
    await new Promise((r) => setTimeout(r, 4_500));
    await schedules.del(created.id);
    await new Promise((r) => setTimeout(r, 1_500));
    const rows = await sql<{ scheduled_for: Date; status: string; output: { json: string } }>(
      `SELECT scheduled_for, status, output FROM "${a.options.schema}".runs WHERE task_id = 'ticks' ORDER BY scheduled_for`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.length).toBeLessThanOrEqual(6);
    const times = rows.map((r) => r.scheduled_for.getTime());
    expect(new Set(times).size).toBe(times.length);
    for (const t of times) expect(t % 1000).toBe(0);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
    const done = rows.filter((r) => r.status === "SUCCESS");
    for (const r of done) expect(r.output.json).toBe(r.scheduled_for.toISOString());
    expect(await schedules.list()).toEqual([]);
  });

  it("a declarative schedule on task() is created when the engine starts", async () => {
    const nightly = task({ id: "nightly", schedule: { cron: "0 3 * * *", timezone: "Europe/Paris" }, run: async () => "ok" });
    await startTestEngine("sched_decl", { tasks: [nightly] });
    expect(await schedules.list({ task: "nightly" })).toMatchObject([
      { task: "nightly", cron: "0 3 * * *", timezone: "Europe/Paris", declarative: true, deduplicationKey: "task:nightly" },
    ]);
  });
});
