import { describe, expect, it } from "vitest";
import { Batcher } from "../engine/db/batcher.ts";

function recordingBatcher(options: { concurrency?: number; key?: (n: number) => string; failOn?: number } = {}) {
  const batches: number[][] = [];
  const batcher = new Batcher<number, number>(
    async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 10));
      if (options.failOn !== undefined && items.includes(options.failOn)) throw new Error(`bad ${options.failOn}`);
      return items.map((n) => n * 10);
    },
    { maxBatch: 50, concurrency: options.concurrency ?? 1, ...(options.key ? { key: options.key } : {}) },
  );
  return { batcher, batches };
}

describe("Batcher (group commit)", () => {
  it("flushes a lone call at once and groups the calls made while a flush is in flight", async () => {
    const { batcher, batches } = recordingBatcher();
    const results = await Promise.all([1, 2, 3, 4].map((n) => batcher.run(n)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it("holds the next flush until the callers a flush resumed have made their next call", async () => {
    const { batcher, batches } = recordingBatcher();
    // Like runs between two steps: a few promise hops from one call's result to the next call.
    const caller = async (n: number) => {
      const first = await batcher.run(n);
      await Promise.resolve();
      await Promise.resolve();
      return batcher.run(first + 1);
    };
    const blocker = batcher.run(0);
    await Promise.all([1, 2, 3].map(caller));
    await blocker;
    expect(batches).toEqual([[0], [1, 2, 3], [11, 21, 31]]);
  });

  it("sends a lone caller's next call as soon as its last one is done, without the wait", async () => {
    const { batcher, batches } = recordingBatcher();
    await batcher.run(1);
    const second = batcher.run(2);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(batches).toEqual([[1], [2]]);
    await second;
  });

  it("never puts two items with the same key in one batch", async () => {
    const { batcher, batches } = recordingBatcher({ key: (n) => String(n % 2) });
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.run(n)));
    for (const batch of batches) expect(new Set(batch.map((n) => n % 2)).size).toBe(batch.length);
    expect(batches.flat().sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("retries a failed batch item by item, so one bad item fails alone", async () => {
    const { batcher } = recordingBatcher({ failOn: 3 });
    const first = batcher.run(0);
    const settled = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.run(n)));
    await first;
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ message: "bad 3" });
  });
});
