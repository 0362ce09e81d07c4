import { describe, expect, it } from "vitest";
import { schedules, task, type ScheduledPayload } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

const SECRET = "schedule-pause-secret-0123456789";
const beats = task({ id: "beats", run: async (p: ScheduledPayload) => p.timestamp.toISOString() });

describe("pausing and resuming a schedule", () => {
  it("deactivate stops its ticks, activate starts them again from now; the list shows active, next and last run", async () => {
    const engine = await startTestEngine("sched_pause", { tasks: [beats], http: { port: 0 }, secretKey: SECRET });
    const schema = engine.options.schema;
    const runsOf = async () => sql<{ scheduled_for: Date }>(`SELECT scheduled_for FROM "${schema}".runs WHERE task_id = 'beats' ORDER BY scheduled_for`);
    const created = await schedules.create({ task: "beats", cron: "* * * * * *", deduplicationKey: "beats" });
    expect(created).toMatchObject({ active: true, lastRun: null, nextRun: expect.any(Date) });
    await until(async () => ((await runsOf()).length >= 2 ? true : undefined), 20_000);
    const [listed] = await schedules.list();
    // The last occurrence fired is one a run was started for.
    expect((await runsOf()).map((r) => r.scheduled_for.getTime())).toContain(listed!.lastRun!.getTime());
    expect(listed!.nextRun!.getTime()).toBeGreaterThan(listed!.lastRun!.getTime());

    const paused = await schedules.deactivate(created.id);
    expect(paused).toMatchObject({ active: false, nextRun: null });
    // The pending tick finds the schedule paused and ends the chain: nothing fires after that.
    await until(async () => {
      const pending = await sql(`SELECT 1 FROM "${schema}_boss".job WHERE name = 'durably-schedule' AND state IN ('created', 'retry', 'active')`);
      return pending.length === 0 ? true : undefined;
    }, 20_000);
    const whilePaused = (await runsOf()).length;
    expect((await schedules.list())[0]).toMatchObject({ active: false, nextRun: null });

    const resumedAt = Date.now();
    const response = await fetch(`${engine.url}/api/schedules/${created.id}/activate`, { method: "POST", headers: { authorization: `Bearer ${SECRET}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: created.id, active: true, nextRun: expect.any(String) });
    await until(async () => ((await runsOf()).length >= whilePaused + 2 ? true : undefined), 20_000);
    // The occurrences while paused were not fired: the first after resuming is after the resume.
    const after = (await runsOf()).slice(whilePaused);
    expect(after[0]!.scheduled_for.getTime()).toBeGreaterThan(resumedAt - 1000);

    const unknown = await fetch(`${engine.url}/api/schedules/sched_nope/deactivate`, { method: "POST", headers: { authorization: `Bearer ${SECRET}` } });
    expect([unknown.status, await unknown.json()]).toMatchObject([404, { error: { code: "SCHEDULE_NOT_FOUND" } }]);
    await schedules.del(created.id);
  });
});
