import { describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";

/**
 * A claim's start time is its transaction's, taken before it waits for the queue's lock, so two
 * starts can be recorded this much closer than they were counted.
 */
const LOCK_WAIT_SLACK_MS = 150;

async function startTimes(schema: string, ids: string[]): Promise<{ key: string | null; at: number }[]> {
  await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 30_000 })));
  const rows = await sql<{ key: string | null; at: Date }>(
    `SELECT concurrency_key AS key, started_at AS at FROM "${schema}".runs WHERE id = ANY($1) ORDER BY started_at`, [ids],
  );
  return rows.map((r) => ({ key: r.key, at: r.at.getTime() }));
}

/** Fails unless every `limit + 1` consecutive starts span at least `periodMs`. */
function expectWithinRate(starts: number[], limit: number, periodMs: number): void {
  for (let i = 0; i + limit < starts.length; i++) expect(starts[i + limit]! - starts[i]!).toBeGreaterThanOrEqual(periodMs - LOCK_WAIT_SLACK_MS);
}

describe("rate limits", () => {
  it("start at most `limit` runs of a queue in any period across two engine processes, and every run finishes", async () => {
    const limited = task({
      id: "rate-limited",
      queue: { rateLimit: { limit: 3, period: "1s" } },
      run: async (n: number, { io }) => io.runTask("work", async () => n),
    });
    const a = await startTestEngine("rate_a", { tasks: [limited], concurrency: 5 });
    await startTestEngine("rate_b", { schema: a.options.schema, tasks: [limited], concurrency: 5 });
    const { runs: handles } = await limited.batchTrigger(Array.from({ length: 9 }, (_, i) => ({ payload: i })));
    const ids = handles.map((h) => h.id);
    const starts = (await startTimes(a.options.schema, ids)).map((s) => s.at);
    expectWithinRate(starts, 3, 1_000);
    // Held back, not refused: all nine ran, in three periods.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(2_000 - LOCK_WAIT_SLACK_MS);
    const finished = await Promise.all(ids.map((id) => runs.retrieve(id)));
    expect(finished.map((r) => [r.status, r.output])).toEqual(Array.from({ length: 9 }, (_, i) => ["SUCCESS", i]));
  });

  it("gives each concurrency key a limit of its own, e.g. one run per user per period", async () => {
    const perUser = task({
      id: "rate-per-user",
      queue: { name: "per-user-rate", rateLimit: { limit: 1, period: 1.5 } },
      run: async (user: string) => user,
    });
    const engine = await startTestEngine("rate_keys", { tasks: [perUser], concurrency: 10 });
    const ids: string[] = [];
    for (const user of ["ann", "bob", "ann", "bob"]) ids.push((await perUser.trigger(user, { concurrencyKey: user })).id);
    const starts = await startTimes(engine.options.schema, ids);
    for (const user of ["ann", "bob"]) expectWithinRate(starts.filter((s) => s.key === user).map((s) => s.at), 1, 1_500);
    // Bob's first run did not wait for Ann's period.
    const firsts = ["ann", "bob"].map((user) => starts.find((s) => s.key === user)!.at);
    expect(Math.abs(firsts[0]! - firsts[1]!)).toBeLessThan(1_000);
  });

  it("wakes a held-back run when its period opens instead of polling: one more job, not one every half second", async () => {
    const slow = task({
      id: "rate-slow",
      queue: { rateLimit: { limit: 1, period: "3s" } },
      run: async (n: number) => n,
    });
    const engine = await startTestEngine("rate_wake", { tasks: [slow] });
    const first = await slow.trigger(1);
    await runs.poll(first.id, { timeoutMs: 10_000 });
    const second = await slow.trigger(2);
    const starts = await startTimes(engine.options.schema, [first.id, second.id]);
    expect(starts[1]!.at - starts[0]!.at).toBeGreaterThanOrEqual(3_000 - LOCK_WAIT_SLACK_MS);
    expect(starts[1]!.at - starts[0]!.at).toBeLessThan(3_000 + 1_000);
    const [jobs] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${engine.options.schema}_boss".job WHERE data->>'runId' = $1`, [second.id],
    );
    expect(jobs!.n).toBe(2);
  });

  it("refuses a rate limit that is not a positive whole limit over a positive period", () => {
    for (const rateLimit of [{ limit: 0, period: "1m" }, { limit: 1.5, period: "1m" }, { limit: 1, period: "soon" }, { limit: 1, period: 0 }]) {
      expect(() => task({ id: "bad-rate", queue: { rateLimit }, run: async () => null })).toThrow(
        expect.objectContaining({ code: "INVALID_OPTIONS", message: expect.stringMatching(/queue\.rateLimit/) }),
      );
    }
  });
});
