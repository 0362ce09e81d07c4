import pg from "pg";
import { describe, expect, it, vi } from "vitest";
import { runs, task, wait, WaitpointCompletedError, WaitpointNotFoundError } from "durably";
import { connect } from "../engine/backends/direct.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { dropSchemas, sql, TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

const approval = (queue?: { concurrencyLimit: number }) => {
  const calls = { before: 0, after: 0 };
  const definition = task({
    id: "resume-approval",
    retry: { maxAttempts: 1 },
    ...(queue ? { queue } : {}),
    run: async (p: { token: string }, { io }) => {
      await io.runTask("before", async () => ++calls.before);
      const result = await wait.forToken<string>(p.token);
      await io.runTask("after", async () => ++calls.after);
      return result.unwrap();
    },
  });
  return { definition, calls };
};

const wakeJobs = async (schema: string, runId: string) =>
  (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}_boss".job WHERE data->>'runId' = $1 AND data->>'reason' = 'wake'`, [runId]))[0]!.n;

describe("a token's completion resumes its runs", () => {
  it("journals the outcome and makes the run ready in its own transaction: no wake-up job, and the resumed run keeps its attempt", async () => {
    const { definition, calls } = approval();
    const schema = uniqueSchema("wp_resume");
    const first = await startTestEngine("wp_resume", { schema, tasks: [definition] });
    const token = await wait.createToken();
    const { id } = await definition.trigger({ token: token.id });
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 20_000);
    await first.stop();

    // No worker anywhere: what the completion wrote is all there is.
    await startTestEngine("wp_resume_backend", { schema, worker: false });
    await wait.completeToken(token.id, "approved");
    const [run] = await sql<{ status: string; ready: boolean; attempts: number }>(
      `SELECT status, ready_at IS NOT NULL AS ready, attempts FROM "${schema}".runs WHERE id = $1`, [id]);
    expect(run).toEqual({ status: "QUEUED", ready: true, attempts: 1 });
    const journal = await sql<{ kind: string; key: string; output: unknown }>(`SELECT kind, key, output FROM "${schema}".journal WHERE run_id = $1 ORDER BY seq`, [id]);
    expect(journal.map((e) => [e.kind, e.key])).toEqual([["task", "before"], ["waitpoint", `forToken:${token.id}`]]);
    expect(await wakeJobs(schema, id)).toBe(0);

    await startTestEngine("wp_resume_worker", { schema, tasks: [definition] });
    const done = await runs.poll(id, { timeoutMs: 20_000 });
    expect(done).toMatchObject({ status: "SUCCESS", output: "approved", attempts: 1 });
    expect(calls).toEqual({ before: 1, after: 1 });
  });

  it("a completion through a direct backend is one statement, with no transaction around it, and so is each refusal", async () => {
    const { definition } = approval();
    const schema = uniqueSchema("wp_one_statement");
    const engine = await startTestEngine("wp_one_statement", { schema, tasks: [definition] });
    const token = await wait.createToken();
    const { id } = await definition.trigger({ token: token.id });
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 20_000);
    await engine.stop();

    const backend = await connect({ databaseUrl: TEST_DATABASE_URL, schema });
    const query = vi.spyOn(pg.Client.prototype, "query");
    try {
      await backend.completeWaitToken(token.id, "approved");
      await expect(backend.completeWaitToken(token.id, "again")).rejects.toBeInstanceOf(WaitpointCompletedError);
      await expect(backend.completeWaitToken("waitpoint_nope", 1)).rejects.toBeInstanceOf(WaitpointNotFoundError);
      const texts = query.mock.calls.map(([config]) => (typeof config === "string" ? config : (config as { text: string }).text));
      expect(texts).toEqual(Array(3).fill(buildStatements(schema).waitpoints.complete));
    } finally {
      query.mockRestore();
      await backend.close();
    }
    const [run] = await sql<{ status: string; ready: boolean }>(`SELECT status, ready_at IS NOT NULL AS ready FROM "${schema}".runs WHERE id = $1`, [id]);
    expect(run).toEqual({ status: "QUEUED", ready: true });
    expect(await wakeJobs(schema, id)).toBe(0);
    await dropSchemas(schema);
  });

  it("a run in a queue with a concurrency limit, which only its queue's claim may start, is woken by job and resumes once", async () => {
    const { definition, calls } = approval({ concurrencyLimit: 1 });
    const schema = uniqueSchema("wp_resume_limited");
    await startTestEngine("wp_resume_limited", { schema, tasks: [definition] });
    const token = await wait.createToken();
    const { id } = await definition.trigger({ token: token.id });
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 20_000);
    await wait.completeToken(token.id, "approved");
    expect(await runs.poll(id, { timeoutMs: 20_000 })).toMatchObject({ status: "SUCCESS", output: "approved", attempts: 1 });
    expect(calls).toEqual({ before: 1, after: 1 });
  });

  it("in a process whose worker has a free slot and the task's code, the completion's own statement starts the run there: no claim", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const calls = { before: 0, after: 0 };
    const definition = task({
      id: "resume-here",
      run: async (p: { token: string }, { io }) => {
        await io.runTask("before", async () => ++calls.before);
        const result = await wait.forToken<string>(p.token);
        await io.runTask("after", async () => (++calls.after, await gate));
        return result.unwrap();
      },
    });
    // No poll for a minute: a claim in flight holds every free slot until it returns.
    const engine = await startTestEngine("wp_resume_here", { tasks: [definition], concurrency: 2, pollIntervalMs: 60_000 });
    const token = await wait.createToken();
    const { id } = await definition.trigger({ token: token.id });
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 20_000);
    await wait.completeToken(token.id, "approved");
    // The run's change and the token's completion share their statement's now().
    const [row] = await sql<{ status: string; attempts: number; in_completion: boolean }>(
      `SELECT r.status, r.attempts, r.updated_at = w.completed_at AS in_completion FROM "${engine.options.schema}".runs r, "${engine.options.schema}".waitpoints w
       WHERE r.id = $1 AND w.id = $2`, [id, token.id]);
    expect(row).toEqual({ status: "EXECUTING", attempts: 1, in_completion: true });
    await until(async () => (calls.after === 1 ? true : undefined), 10_000);
    open();
    expect(await runs.poll(id, { timeoutMs: 20_000 })).toMatchObject({ status: "SUCCESS", output: "approved", attempts: 1 });
    expect(calls).toEqual({ before: 1, after: 1 });
  });
});
