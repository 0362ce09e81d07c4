import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runs } from "durably";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { crashTask } from "./fixtures/crash-task.ts";
import { until } from "./helpers/until.ts";

const schema = uniqueSchema("crash");
const side = `"${schema}_side".marks`;
const { crashy, close } = crashTask(TEST_DATABASE_URL, side);
afterAll(async () => {
  await close();
  await sql(`DROP SCHEMA IF EXISTS "${schema}_side" CASCADE`);
  await dropSchemas(schema);
});

describe("a worker killed with kill -9", () => {
  it("loses only its in-flight step: another worker resumes the run and completed steps are not re-run", async () => {
    await sql(`CREATE SCHEMA "${schema}_side"; CREATE TABLE ${side} (run_id text, step text, at timestamptz DEFAULT clock_timestamp())`);
    await startTestEngine("crash_client", { schema, tasks: [crashy], worker: false });

    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/crash-worker.ts", import.meta.url)), TEST_DATABASE_URL, schema, side], {
      env: { ...process.env, HANG_IN_STEP_TWO: "1" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await once(child.stdout!, "data");
    const { id } = await crashy.trigger({});
    await until(async () => ((await sql(`SELECT 1 FROM ${side} WHERE run_id = $1 AND step = 'two'`, [id])).length ? true : undefined), 20_000);
    child.kill("SIGKILL");
    await once(child, "exit");
    const killedAt = Date.now();
    expect((await runs.retrieve(id)).status).toBe("EXECUTING");

    await startTestEngine("crash_rescuer", { schema, tasks: [crashy], recoverySeconds: 1 });
    const run = await runs.poll(id, { timeoutMs: 40_000 });
    const recoveredInMs = run.finishedAt!.getTime() - killedAt;
    expect(run.status).toBe("SUCCESS");
    expect(run.output).toBe("survived");
    expect(run.attempts).toBe(2);
    const marks = await sql<{ step: string; n: number }>(`SELECT step, count(*)::int AS n FROM ${side} WHERE run_id = $1 GROUP BY step ORDER BY step`, [id]);
    expect(marks).toEqual([
      { step: "one", n: 1 },
      { step: "three", n: 1 },
      { step: "two", n: 2 },
    ]);
    // Heartbeat (10 s) plus the supervisor's interval bound the hand-over.
    expect(recoveredInMs).toBeLessThan(25_000);
  }, 60_000);
});
