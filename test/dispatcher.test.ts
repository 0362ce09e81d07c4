import { describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";

describe("dispatcher", () => {
  it("keeps every slot busy from a backlog without waiting for the fallback poll", async () => {
    const quick = task({ id: "quick", run: async (p: { i: number }, { io }) => io.runTask("one", async () => p.i) });
    await startTestEngine("dispatch", { tasks: [quick], concurrency: 2, pollIntervalMs: 60_000 });
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => quick.trigger({ i }).then((h) => h.id)));
    const finished = await Promise.all(ids.map((id) => runs.poll(id, { timeoutMs: 15_000 })));
    expect(finished.map((r) => r.output)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
