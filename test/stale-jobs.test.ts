import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { partsOf } from "../engine/internal.ts";
import { BatchedWrites } from "../engine/journal/batched-writes.ts";
import { claimRun } from "../engine/worker/claim-run.ts";

describe("a job sent for an earlier moment of a run", () => {
  // Such as the wake-up of a wait that a cancel cut short, falling due while the retried run
  // executes past that wait: taking the run over would run its current step a second time.
  it("does not take the run from the execution holding it (only a job pg-boss delivers again may)", async () => {
    let calls = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const t = task({ id: "stale-job", run: async (_: unknown, { io }) => io.runTask("step", async () => (++calls, await gate, calls)) });
    const engine = await startTestEngine("stale_job", { tasks: [t] });
    const { id } = await t.trigger({});
    await until(async () => (calls === 1 ? true : undefined), 20_000);
    const { db, sql, channels } = partsOf(engine);
    const writes = new BatchedWrites(db, sql, channels.run);
    const claim = (takeover: boolean) =>
      claimRun(db, sql, writes, engine.options.schema, { runId: id, lease: randomUUID(), countsAsAttempt: 0, takeover, notifyChannel: channels.run });
    expect(await claim(false)).toEqual({ type: "nothing-to-do" });
    open();
    expect(await runs.poll(id, { timeoutMs: 20_000 })).toMatchObject({ status: "SUCCESS", output: 1 });
    expect(calls).toBe(1);
  });
});
