import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runs, task, wait, WaitpointCompletedError } from "durably";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { approvalTask } from "./fixtures/waitpoints/task.ts";

const schema = uniqueSchema("wp_crash");
const side = `"${schema}_side".marks`;
const { approval, close } = approvalTask(TEST_DATABASE_URL, side);
afterAll(async () => {
  await close();
  await sql(`DROP SCHEMA IF EXISTS "${schema}_side" CASCADE`);
  await dropSchemas(schema);
});

const isWaiting = async (id: string) => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined);

describe("waitpoint guarantees", () => {
  it("a worker killed with kill -9 while the run waits: the completion resumes it once on another worker, and the step before the wait is not re-run", async () => {
    await sql(`CREATE SCHEMA "${schema}_side"; CREATE TABLE ${side} (run_id text, step text, pid integer)`);
    await startTestEngine("wp_crash_client", { schema, tasks: [approval], worker: false });
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/waitpoints/worker.ts", import.meta.url)), TEST_DATABASE_URL, schema, side], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await once(child.stdout!, "data");
    const token = await wait.createToken({ timeout: "1h" });
    const { id } = await approval.trigger({ token: token.id });
    await until(() => isWaiting(id), 20_000);
    child.kill("SIGKILL");
    await once(child, "exit");

    await startTestEngine("wp_crash_rescuer", { schema, tasks: [approval], recoverySeconds: 1 });
    await wait.completeToken(token.id, { approved: true });
    const run = await runs.poll(id, { timeoutMs: 30_000 });
    expect(run).toMatchObject({ status: "SUCCESS", output: { approved: true }, attempts: 1 });
    const marks = await sql<{ step: string; pid: number }>(`SELECT step, pid FROM ${side} WHERE run_id = $1 ORDER BY step DESC`, [id]);
    expect(marks.map((m) => m.step)).toEqual(["before", "after"]);
    expect(marks[0]!.pid).toBe(child.pid);
    expect(marks[1]!.pid).toBe(process.pid);
    const journal = await sql<{ kind: string; key: string }>(`SELECT kind, key FROM "${schema}".journal WHERE run_id = $1 ORDER BY seq`, [id]);
    expect(journal).toEqual([{ kind: "task", key: "before" }, { kind: "waitpoint", key: `forToken:${token.id}` }, { kind: "task", key: "after" }]);
  }, 60_000);

  it("a completion racing the timeout: each run journals exactly one outcome, and its token's status agrees with it", async () => {
    const racer = task({
      id: "racer",
      run: async (p: { token: string }) => {
        const result = await wait.forToken<string>(p.token);
        return result.ok ? { ok: true, output: result.output } : { ok: false };
      },
    });
    const engine = await startTestEngine("wp_race", { tasks: [racer], concurrency: 20 });
    // Long enough for 24 runs to be waiting before the first completion on a busy machine.
    const tokens = await Promise.all(Array.from({ length: 24 }, () => wait.createToken({ timeout: "8s" })));
    const ids = await Promise.all(tokens.map((t) => racer.trigger({ token: t.id }).then((h) => h.id)));
    for (const id of ids) await until(() => isWaiting(id), 20_000);
    // Completions spread from well before each token's timeout to after it.
    const completions = await Promise.all(
      tokens.map(async (token, i) => {
        const { timeoutAt } = await wait.retrieveToken(token.id);
        // From 2.4 s before the timeout to 1 s after it: a completion call slowed by a busy
        // machine still lands on both sides.
        const at = timeoutAt!.getTime() + (i - 16) * 150;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
        return wait.completeToken(token.id, `done ${i}`).then(
          () => "COMPLETED" as const,
          (error: unknown) => {
            if (error instanceof WaitpointCompletedError && error.status === "TIMED_OUT") return "TIMED_OUT" as const;
            throw error;
          },
        );
      }),
    );
    const finished = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 30_000 })));
    const s = `"${engine.options.schema}"`;
    for (const [i, run] of finished.entries()) {
      const token = await wait.retrieveToken(tokens[i]!.id);
      const entries = await sql<{ output: { json: unknown } }>(`SELECT output FROM ${s}.journal WHERE run_id = $1 AND kind = 'waitpoint'`, [run.id]);
      expect(entries).toHaveLength(1);
      expect(token.status).toBe(completions[i]);
      expect(run.output).toEqual(completions[i] === "COMPLETED" ? { ok: true, output: `done ${i}` } : { ok: false });
      const [row] = await sql<{ status: string }>(`SELECT status FROM ${s}.waitpoints WHERE id = $1`, [tokens[i]!.id]);
      expect(row!.status).toBe(completions[i]);
    }
    // Both outcomes happened: the race was run, not avoided.
    expect(new Set(completions)).toEqual(new Set(["COMPLETED", "TIMED_OUT"]));
  }, 60_000);

  it("a completion racing the run's arrival at forToken is never lost: every run resumes once with the output", async () => {
    let after = 0;
    const arriving = task({
      id: "arriving",
      run: async (p: { token: string }, { io }) => {
        const result = await wait.forToken<number>(p.token);
        await io.runTask("after", async () => ++after);
        return result.unwrap();
      },
    });
    const engine = await startTestEngine("wp_arrive", { tasks: [arriving], concurrency: 20 });
    const tokens = await Promise.all(Array.from({ length: 40 }, () => wait.createToken()));
    const ids = await Promise.all(tokens.map((t) => arriving.trigger({ token: t.id }).then((h) => h.id)));
    await Promise.all(tokens.map(async (t, i) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 60));
      await wait.completeToken(t.id, i);
    }));
    const finished = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 30_000 })));
    expect(finished.map((r) => r.output)).toEqual(tokens.map((_, i) => i));
    expect(after).toBe(40);
    const [counts] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${engine.options.schema}".journal WHERE kind = 'waitpoint'`);
    expect(counts!.n).toBe(40);
  }, 60_000);
});
