import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { runs, streams } from "durably";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { streamCrash, streamOf, type StreamPlan } from "./fixtures/stream-crash-task.ts";

const schema = uniqueSchema("stream_crash");
const workers = new Set<ChildProcess>();
afterAll(async () => {
  for (const worker of workers) worker.kill("SIGKILL");
  await dropSchemas(schema);
});

async function startWorker(): Promise<ChildProcess> {
  const worker = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/stream-crash-worker.ts", import.meta.url)), TEST_DATABASE_URL, schema], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  workers.add(worker);
  await once(worker.stdout!, "data");
  return worker;
}

async function kill(worker: ChildProcess): Promise<void> {
  worker.kill("SIGKILL");
  if (worker.exitCode === null && worker.signalCode === null) await once(worker, "exit");
  workers.delete(worker);
}

/** 5 steps of 200 chunks each, some outside the step and the rest inside it, on attempts that fail as planned. */
const planArb: fc.Arbitrary<StreamPlan> = fc.record({
  steps: fc.array(
    fc.record({ outside: fc.integer({ min: 0, max: 40 }), failures: fc.integer({ min: 0, max: 2 }), pipe: fc.boolean() })
      .map((s) => ({ ...s, inside: 200 - s.outside })),
    { minLength: 5, maxLength: 5 },
  ),
});
/** After how many stored chunks each kill -9 lands (a run that finished before then is not killed). */
const killsArb = fc.uniqueArray(fc.integer({ min: 1, max: 1_500 }), { minLength: 1, maxLength: 2 }).map((k) => k.sort((a, b) => a - b));

describe("a run streaming 1,000 chunks, its worker killed with kill -9 at random points", () => {
  it("ends with exactly the stream of an uninterrupted run, for a reader that followed it all along and for a reader after it", async () => {
    await startTestEngine("stream_crash_client", { schema, tasks: [streamCrash], worker: false });
    const seed = Number(process.env.STREAM_CRASH_SEED ?? Date.now() % 100_000);
    const cases = fc.sample(fc.tuple(planArb, killsArb), { numRuns: 2, seed });
    for (const [plan, kills] of cases) {
      const label = `seed ${seed}, kills after ${kills.join(", ")} chunks, plan ${JSON.stringify(plan)}`;
      let worker = await startWorker();
      const { id } = await streamCrash.trigger(plan);
      const parts: string[] = [];
      let resets = 0;
      const followed = (async () => {
        const read = await streams.read<string>(id, "out", { onReset: (keep) => ((parts.length = keep), resets++) });
        for await (const part of read) parts.push(part);
      })();
      const stored = async () =>
        (await sql<{ n: number; done: boolean }>(
          `SELECT (SELECT count(*)::int FROM "${schema}".stream_chunks WHERE run_id = $1) AS n,
             (SELECT status IN ('SUCCESS', 'FAILURE', 'CANCELED') FROM "${schema}".runs WHERE id = $1) AS done`, [id]))[0]!;
      let killed = 0;
      for (const at of kills) {
        const reached = await until(async () => {
          const { n, done } = await stored();
          return done ? false : n >= at ? true : undefined;
        }, 60_000, 10);
        if (!reached) break;
        await kill(worker);
        killed++;
        worker = await startWorker();
      }
      const run = await runs.poll(id, { timeoutMs: 90_000 });
      await followed;
      await kill(worker);
      expect(run.status, label).toBe("SUCCESS");
      const expected = streamOf(plan);
      expect(expected).toHaveLength(1000);
      expect(parts, label).toEqual(expected);
      const again: string[] = [];
      for await (const part of await streams.read<string>(id, "out")) again.push(part);
      expect(again, label).toEqual(expected);
      // Every failed attempt that appended was superseded: readers were told, once per attempt at most.
      const attempts = plan.steps.filter((s) => s.failures > 0).reduce((n, s) => n + s.failures, 0);
      expect(resets, label).toBeLessThanOrEqual(attempts + killed);
      console.log(`stream crash: ${label}: ${killed} kill(s), ${resets} reset(s) seen by the reader`);
    }
  }, 300_000);
});
