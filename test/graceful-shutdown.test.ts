import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runs } from "durably";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { shutdownTask } from "./fixtures/shutdown-task.ts";
import { until } from "./helpers/until.ts";

const schema = uniqueSchema("shutdown");
const side = `"${schema}_side".marks`;
const { slow, close } = shutdownTask(TEST_DATABASE_URL, side);
afterAll(async () => {
  await close();
  await sql(`DROP SCHEMA IF EXISTS "${schema}_side" CASCADE`);
  await dropSchemas(schema);
});

const marksOf = (runId: string) =>
  sql<{ step: number; phase: string; pid: number }>(`SELECT step, phase, pid FROM ${side} WHERE run_id = $1 ORDER BY at`, [runId]);

describe("graceful shutdown (SIGTERM to durably start)", () => {
  it("finishes the step in flight, starts no other, hands the run back; another engine completes it without re-running a step", async () => {
    await sql(`CREATE SCHEMA "${schema}_side"; CREATE TABLE ${side} (run_id text, step int, phase text, pid int, at timestamptz DEFAULT clock_timestamp())`);
    await startTestEngine("shutdown_client", { schema, tasks: [slow], worker: false });

    const cli = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
    const entry = fileURLToPath(new URL("./fixtures/shutdown-entry.ts", import.meta.url));
    const child = spawn(process.execPath, [cli, "start", entry, "--port", "0"], {
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, DURABLY_SCHEMA: schema, DURABLY_SECRET_KEY: "shutdown-test-secret-0123", SIDE_TABLE: side },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    await until(async () => (output.includes("durably is running") ? true : undefined), 20_000);

    const { id } = await slow.trigger({ stepMs: 600 });
    // SIGTERM while step 3 is in flight.
    await until(async () => ((await marksOf(id)).some((m) => m.step === 3 && m.phase === "start") ? true : undefined), 20_000);
    const sentAt = Date.now();
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    const stoppedInMs = Date.now() - sentAt;
    expect(code, output).toBe(0);
    // It waited for step 3 (600 ms) but not for the five steps after it.
    expect(stoppedInMs).toBeLessThan(3_000);

    const byChild = await marksOf(id);
    expect(byChild.map((m) => `${m.step}:${m.phase}`)).toEqual(["1:start", "1:end", "2:start", "2:end", "3:start", "3:end"]);
    const handedBack = await runs.retrieve(id);
    expect(handedBack.status).not.toBe("SUCCESS");
    const journal = await until(async () => {
      const entries = await sql<{ key: string }>(`SELECT key FROM "${schema}".journal WHERE run_id = $1 ORDER BY seq`, [id]);
      return entries.length === 3 ? entries : undefined;
    }, 2_000);
    expect(journal.map((e) => e.key)).toEqual(["step-1", "step-2", "step-3"]);

    // The job went back at once: a new engine picks the run up without waiting for a heartbeat to lapse.
    const resumedAt = Date.now();
    await startTestEngine("shutdown_rescuer", { schema, tasks: [slow] });
    const run = await runs.poll(id, { timeoutMs: 30_000 });
    expect(run).toMatchObject({ status: "SUCCESS", output: "all eight" });
    expect(run.finishedAt!.getTime() - resumedAt).toBeLessThan(5 * 600 + 4_000);
    const all = await marksOf(id);
    for (let step = 1; step <= 8; step++) {
      expect(all.filter((m) => m.step === step).map((m) => m.phase), `step ${step}`).toEqual(["start", "end"]);
    }
    expect(new Set(all.filter((m) => m.step >= 4).map((m) => m.pid))).toEqual(new Set([process.pid]));
  }, 60_000);
});
