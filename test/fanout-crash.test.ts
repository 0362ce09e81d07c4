import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runs } from "durably";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { fanoutTasks } from "./fixtures/fanout-task.ts";

const schema = uniqueSchema("fanout");
const side = `"${schema}_side".children`;
const { child, parent, close } = fanoutTasks(TEST_DATABASE_URL, side);
afterAll(async () => {
  await close();
  await sql(`DROP SCHEMA IF EXISTS "${schema}_side" CASCADE`);
  await dropSchemas(schema);
});

describe("a parent awaiting 20 children, its worker killed with kill -9 mid-way", () => {
  it("resumes on another worker and ends with exactly 20 children and their outputs in order", async () => {
    await sql(`CREATE SCHEMA "${schema}_side"; CREATE TABLE ${side} (run_id text, n int)`);
    await startTestEngine("fanout_client", { schema, tasks: [child, parent], worker: false });
    const worker = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/fanout-worker.ts", import.meta.url)), TEST_DATABASE_URL, schema, side], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await once(worker.stdout!, "data");
    const { id } = await parent.trigger({});
    const countChildren = async () =>
      (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE parent_run_id = $1`, [id]))[0]!.n;
    await until(async () => ((await countChildren()) >= 7 ? true : undefined), 20_000, 25);
    worker.kill("SIGKILL");
    await once(worker, "exit");
    const atKill = await countChildren();
    expect(atKill).toBeGreaterThanOrEqual(7);
    expect(atKill).toBeLessThan(20);

    await startTestEngine("fanout_rescuer", { schema, tasks: [child, parent], recoverySeconds: 1 });
    const run = await runs.poll(id, { timeoutMs: 50_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.output).toEqual(Array.from({ length: 20 }, (_, n) => n * 10));
    const children = await sql<{ n: number; runs: number }>(
      `SELECT (payload->>'json')::int AS n, count(*)::int AS runs FROM "${schema}".runs WHERE parent_run_id = $1 GROUP BY 1 ORDER BY 1`, [id],
    );
    expect(children).toEqual(Array.from({ length: 20 }, (_, n) => ({ n, runs: 1 })));
    // Only a child in flight at the kill may have run its step twice.
    const [{ extra }] = await sql<{ extra: number }>(`SELECT (count(*) - count(DISTINCT n))::int AS extra FROM ${side}`) as [{ extra: number }];
    expect(extra).toBeLessThanOrEqual(1);
  }, 90_000);
});
