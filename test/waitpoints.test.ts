import { describe, expect, it } from "vitest";
import { runs, task, wait, WaitpointCompletedError, WaitpointNotFoundError, WaitpointTimeoutError } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TEST_DATABASE_URL } from "./helpers/db.ts";
import { waitsOnce } from "./fixtures/waitpoints/check-task.ts";
import { connect } from "../engine/backends/direct.ts";
import { serviceOf } from "../engine/internal.ts";

const isWaiting = async (id: string) => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined);

describe("waitpoint tokens", () => {
  it("a run waits on a token holding no worker slot, and resumes with the completion's output", async () => {
    let before = 0;
    const approval = task({
      id: "approval",
      run: async (p: { token: string }, { io }) => {
        await io.runTask("before", async () => ++before);
        const result = await wait.forToken<{ approved: boolean; at: Date }>(p.token);
        return result.ok ? result.output : "timed out";
      },
    });
    const engine = await startTestEngine("wp_basic", { tasks: [approval], concurrency: 1 });
    const tokens = await Promise.all([1, 2, 3].map(() => wait.createToken({ tags: ["basic"] })));
    for (const token of tokens) {
      expect(token.id).toMatch(/^waitpoint_[0-9a-z]{22}$/);
      expect(token.url).toMatch(new RegExp(`^https?://[^/]+/callbacks/waitpoints/${token.id}/[A-Za-z0-9_-]{43}$`));
      expect(token.isCached).toBe(false);
    }
    // One slot, three runs waiting at once: a waiting run holds none.
    const ids = await Promise.all(tokens.map((token) => approval.trigger({ token: token.id }).then((h) => h.id)));
    for (const id of ids) await until(() => isWaiting(id), 20_000);
    expect((await wait.retrieveToken(tokens[0]!.id)).runs).toEqual([ids[0]]);

    const at = new Date("2026-01-02T03:04:05Z");
    for (const token of tokens) await wait.completeToken(token, { approved: true, at });
    const finished = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 20_000 })));
    expect(finished.map((r) => r.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    // superjson: the Date arrives a Date.
    expect(finished[0]!.output).toEqual({ approved: true, at });
    expect(before).toBe(3);

    const journal = await serviceOf(engine).getJournal(ids[0]!);
    expect(journal.map((e) => [e.kind, e.key])).toEqual([["task", "before"], ["waitpoint", `forToken:${tokens[0]!.id}`]]);
    expect(journal[1]!.output).toEqual({ ok: true, output: { approved: true, at } });
    const record = await wait.retrieveToken(tokens[0]!.id);
    expect(record).toMatchObject({ status: "COMPLETED", output: { approved: true, at }, tags: ["basic"], runs: [ids[0]] });
    expect(record.completedAt).toBeInstanceOf(Date);
  });

  it("a token completed before forToken is reached returns at once, and several runs may wait on one token", async () => {
    const waiter = task({
      id: "waiter",
      run: async (p: { token: string }) => (await wait.forToken<string>(p.token)).unwrap(),
    });
    await startTestEngine("wp_many", { tasks: [waiter] });
    const early = await wait.createToken();
    await wait.completeToken(early.id, "already");
    const run = await runs.poll((await waiter.trigger({ token: early.id })).id, { timeoutMs: 20_000 });
    expect(run.output).toBe("already");

    const shared = await wait.createToken();
    const ids = await Promise.all([1, 2, 3, 4].map(() => waiter.trigger({ token: shared.id }).then((h) => h.id)));
    for (const id of ids) await until(() => isWaiting(id), 20_000);
    await wait.completeToken(shared.id, "for all");
    const finished = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 20_000 })));
    expect(finished.map((r) => r.output)).toEqual(["for all", "for all", "for all", "for all"]);
    expect([...(await wait.retrieveToken(shared.id)).runs].sort()).toEqual([...ids].sort());
  });

  it("the first completion wins: a second is refused with a clear error and changes nothing", async () => {
    await startTestEngine("wp_twice", { worker: false });
    const token = await wait.createToken();
    await wait.completeToken(token.id, { first: true });
    const second = wait.completeToken(token.id, { second: true });
    await expect(second).rejects.toBeInstanceOf(WaitpointCompletedError);
    await expect(second).rejects.toMatchObject({ code: "WAITPOINT_COMPLETED", status: "COMPLETED", message: expect.stringContaining("first completion wins") });
    expect(await wait.retrieveToken(token.id)).toMatchObject({ status: "COMPLETED", output: { first: true } });
    await expect(wait.completeToken("waitpoint_nope", 1)).rejects.toBeInstanceOf(WaitpointNotFoundError);
  });

  it("a timeout resumes the run with ok: false, unwrap throws, and a later completion is refused", async () => {
    const waiter = task({
      id: "waiter",
      run: async (p: { token: string }) => {
        const result = await wait.forToken(p.token);
        let thrown: unknown;
        try {
          result.unwrap();
        } catch (error) {
          thrown = error;
        }
        return { ok: result.ok, error: result.ok ? null : result.error.code, threwTimeout: thrown instanceof WaitpointTimeoutError };
      },
    });
    const engine = await startTestEngine("wp_timeout", { tasks: [waiter] });
    const token = await wait.createToken({ timeout: "1s" });
    const { timeoutAt, createdAt } = await wait.retrieveToken(token.id);
    expect(timeoutAt!.getTime() - createdAt.getTime()).toBeGreaterThan(500);
    const { id } = await waiter.trigger({ token: token.id });
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.output).toEqual({ ok: false, error: "WAITPOINT_TIMED_OUT", threwTimeout: true });
    expect((await serviceOf(engine).getJournal(id))[0]!.output).toEqual({ ok: false });
    expect(await wait.retrieveToken(token.id)).toMatchObject({ status: "TIMED_OUT", output: undefined });
    await expect(wait.completeToken(token.id, "late")).rejects.toMatchObject({ code: "WAITPOINT_COMPLETED", status: "TIMED_OUT" });
    const [row] = await sql<{ status: string }>(`SELECT status FROM "${engine.options.schema}".waitpoints WHERE id = $1`, [token.id]);
    expect(row!.status).toBe("TIMED_OUT");
  });

  it("a token nobody waits on reads TIMED_OUT once due; a timeout takes seconds, durations and dates", async () => {
    await startTestEngine("wp_due", { worker: false });
    // Long enough that a busy machine still reads it before it is due.
    const soon = await wait.createToken({ timeout: 2 });
    expect((await wait.retrieveToken(soon.id)).status).toBe("WAITING");
    await until(async () => ((await wait.retrieveToken(soon.id)).status === "TIMED_OUT" ? true : undefined), 10_000);
    await expect(wait.completeToken(soon.id, 1)).rejects.toMatchObject({ status: "TIMED_OUT" });
    const date = new Date(Date.now() + 3_600_000);
    expect((await wait.retrieveToken((await wait.createToken({ timeout: date })).id)).timeoutAt).toEqual(date);
    await expect(wait.createToken({ timeout: "soon" })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
  });

  it("inside a run createToken is journaled: the resumed run replays the same token, never a second one", async () => {
    const creator = task({
      id: "creator",
      run: async (_: unknown, { ctx }) => {
        const token = await wait.createToken({ tags: [`by:${ctx.run.id}`], timeout: "1h" });
        const result = await wait.forToken<string>(token);
        return { id: token.id, url: token.url, output: result.unwrap() };
      },
    });
    const engine = await startTestEngine("wp_in_run", { tasks: [creator] });
    const { id } = await creator.trigger({});
    await until(() => isWaiting(id), 20_000);
    const { data } = await wait.listTokens({ tags: `by:${id}` });
    expect(data).toHaveLength(1);
    await wait.completeToken(data[0]!.id, "done");
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    const first = await serviceOf(engine).accessWaitToken(data[0]!.id);
    expect(run.output).toEqual({ id: data[0]!.id, url: first.url, output: "done" });
    expect((await wait.listTokens({ tags: `by:${id}` })).data).toHaveLength(1);
    // The journal keeps the id, not the URL's secret.
    const [created] = await serviceOf(engine).getJournal(id);
    expect(created).toMatchObject({ kind: "waitpoint", key: "createToken", output: { id: data[0]!.id, isCached: false } });
  });

  it("an idempotency key returns the same token until its TTL ends", async () => {
    await startTestEngine("wp_idem", { worker: false });
    const a = await wait.createToken({ idempotencyKey: "approve-42", idempotencyKeyTTL: 1 });
    const b = await wait.createToken({ idempotencyKey: "approve-42" });
    expect(b).toEqual({ ...a, publicAccessToken: expect.any(String), isCached: true });
    // Within the TTL a create returns the first token and makes none.
    const c = await until(async () => {
      const token = await wait.createToken({ idempotencyKey: "approve-42" });
      return token.id === a.id ? undefined : token;
    }, 20_000);
    expect(c.isCached).toBe(false);
  });

  it("an output over the payload limit is refused and the token keeps waiting", async () => {
    await startTestEngine("wp_limit", { worker: false, maxPayloadBytes: 1_000 });
    const token = await wait.createToken();
    await expect(wait.completeToken(token.id, { big: "x".repeat(2_000) })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    expect((await wait.retrieveToken(token.id)).status).toBe("WAITING");
  });

  it("lists tokens newest first, by status, tags and waiting run, a page at a time", async () => {
    await startTestEngine("wp_list", { worker: false });
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await wait.createToken({ tags: i % 2 ? ["odd"] : ["even"] }));
    await wait.completeToken(made[0]!.id, 0);
    expect((await wait.listTokens({ status: "COMPLETED" })).data.map((t) => t.id)).toEqual([made[0]!.id]);
    expect((await wait.listTokens({ tags: ["odd"] })).data.map((t) => t.id)).toEqual([made[3]!.id, made[1]!.id]);
    const page = await wait.listTokens({ limit: 3 });
    expect(page.data.map((t) => t.id)).toEqual([made[4]!.id, made[3]!.id, made[2]!.id]);
    const next = await wait.listTokens({ limit: 3, cursor: page.nextCursor! });
    expect(next.data.map((t) => t.id)).toEqual([made[1]!.id, made[0]!.id]);
    expect(next.nextCursor).toBeNull();
    await expect(wait.listTokens({ status: "DONE" as never })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
  });

  it("runs.fork from after the wait replays the recorded outcome, and durably check replays a run that waited on a token", async () => {
    const engine = await startTestEngine("wp_fork", { tasks: [waitsOnce] });
    const { id } = await waitsOnce.trigger({});
    await until(() => isWaiting(id), 20_000);
    const [token] = (await wait.listTokens({ runId: id })).data;
    await wait.completeToken(token!.id, "yes");
    const run = await runs.poll(id, { timeoutMs: 20_000 });
    expect(run.output).toEqual({ before: "b", output: "yes", after: 1 });

    const journal = await serviceOf(engine).getJournal(id);
    expect(journal.map((e) => e.key)).toEqual(["before", "createToken", `forToken:${token!.id}`, "after"]);
    const fork = await runs.fork(id, { fromSeq: journal[3]!.seq });
    expect((await runs.poll(fork.id, { timeoutMs: 20_000 })).output).toEqual({ before: "b", output: "yes", after: 2 });
    expect((await wait.listTokens({ tags: "wp-check" })).data).toHaveLength(1);

    const check = spawnSync(process.execPath, [fileURLToPath(new URL("../bin/durably.js", import.meta.url)), "check",
      fileURLToPath(new URL("./fixtures/waitpoints/check-task.ts", import.meta.url)), "--schema", engine.options.schema, "--json"], {
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL }, encoding: "utf8", timeout: 60_000,
    });
    expect(check.stderr).toBe("");
    // Both replayed to their end: nothing threw on the way (check reports a throw as ok, with `threw`).
    expect(JSON.parse(check.stdout)).toEqual([id, fork.id].sort().map((runId) => expect.objectContaining({ runId, outcome: "ok" })));
    expect(JSON.parse(check.stdout).map((r: { threw?: string }) => r.threw)).toEqual([undefined, undefined]);
    expect(check.status).toBe(0);
  }, 60_000);

  it("a burst of completions through a fresh direct backend (a pool of five) all land and wake their runs", async () => {
    const waiter = task({ id: "burst", run: async (p: { token: string }) => (await wait.forToken<number>(p.token)).unwrap() });
    const engine = await startTestEngine("wp_burst", { tasks: [waiter], concurrency: 20 });
    const tokens = await Promise.all(Array.from({ length: 40 }, () => wait.createToken()));
    const ids = await Promise.all(tokens.map((t) => waiter.trigger({ token: t.id }).then((h) => h.id)));
    for (const id of ids) await until(() => isWaiting(id), 20_000);
    // A backend that has sent no job yet: pg-boss reads its queue on the pool at the first one.
    const backend = await connect({ databaseUrl: TEST_DATABASE_URL, schema: engine.options.schema });
    try {
      await Promise.all(tokens.map((t, i) => backend.completeWaitToken(t.id, i)));
    } finally {
      await backend.close();
    }
    const finished = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 20_000 })));
    expect(finished.map((r) => r.output)).toEqual(tokens.map((_, i) => i));
  }, 60_000);
});
