import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { metadata, runs, task, type StatusHandle } from "durably";
import type { Engine } from "durably/engine";
import { setFaultHandler, type FaultPoint } from "../engine/debug/fault-points.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { serviceOf } from "../engine/internal.ts";

/** One io call of a random workflow; the workflow travels as the run's payload. */
type Op =
  | { op: "task"; output: number; failures: number }
  | { op: "status"; slot: number; label: string; state: "loading" | "success" | "failure"; n: number; onlyData: boolean }
  | { op: "metadata"; kind: "set" | "increment" | "append" | "del"; key: string; n: number }
  | { op: "wait"; ms: number }
  | { op: "now" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("task" as const), output: fc.integer({ min: 0, max: 1000 }), failures: fc.integer({ min: 0, max: 2 }) }),
  fc.record({
    op: fc.constant("status" as const), slot: fc.integer({ min: 0, max: 1 }), label: fc.constantFrom("Working", "Half way", "Done"),
    state: fc.constantFrom("loading" as const, "success" as const, "failure" as const), n: fc.integer({ min: 0, max: 100 }),
    onlyData: fc.boolean(),
  }),
  fc.record({ op: fc.constant("metadata" as const), kind: fc.constantFrom("set" as const, "increment" as const, "append" as const, "del" as const), key: fc.constantFrom("a", "b"), n: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ op: fc.constant("wait" as const), ms: fc.integer({ min: 50, max: 150 }) }),
  fc.record({ op: fc.constant("now" as const) }),
);

/** Interprets the workflow: the same code runs every random case. */
const workflow = task({
  id: "random-workflow",
  run: async (ops: Op[], { io }) => {
    const statuses: (StatusHandle | undefined)[] = [];
    const results: unknown[] = [];
    for (const [i, op] of ops.entries()) {
      const key = `op-${i}`;
      if (op.op === "task") {
        results.push(
          await io.runTask(
            key,
            async ({ attempt }) => {
              if (attempt <= op.failures) throw new Error(`${key} fails on attempt ${attempt}`);
              // What the step saw of the run so far must replay exactly too.
              return { output: op.output, attempt, metadata: metadata.current() };
            },
            { retry: { maxAttempts: 3, minTimeoutInMs: 20, randomize: false } },
          ),
        );
      } else if (op.op === "status") {
        const handle = statuses[op.slot];
        // An update of the data alone keeps the label and state from earlier versions.
        const full = { label: op.label, state: op.state, data: { n: op.n } };
        statuses[op.slot] = handle
          ? await handle.update(key, op.onlyData ? { data: { n: op.n } } : full)
          : await io.createStatus(`status-${op.slot}`, full);
      } else if (op.op === "metadata") {
        // Appending to a number or incrementing a list would be the workflow's own bug: keep keys typed.
        const listKey = `${op.key}-list`;
        if (op.kind === "set") await metadata.set(op.key, op.n);
        else if (op.kind === "increment") await metadata.increment(op.key, op.n);
        else if (op.kind === "append") await metadata.append(listKey, op.n);
        else await metadata.del(op.key);
      } else if (op.op === "wait") {
        await io.wait(key, op.ms / 1000);
      } else {
        results.push((await io.now(key)).getTime() > 0);
      }
    }
    return results;
  },
});

/** What must not depend on where the executions were interrupted. */
async function outcome(engine: Engine, id: string) {
  const run = await runs.poll(id, { timeoutMs: 30_000 });
  const journal = await serviceOf(engine).getJournal(id);
  const statuses = await serviceOf(engine).getRunStatuses(id);
  const history = await serviceOf(engine).getMetadataHistory(id);
  return {
    status: run.status,
    output: run.output,
    metadata: run.metadata,
    journal: journal.map((e) => ({
      seq: e.seq, kind: e.kind, key: e.key, status: e.status,
      // A task's output records its attempt, which crashes must not change; clock readings
      // (`now`, a wait's wake-up time) differ between any two runs by nature.
      output: e.kind === "now" || e.kind === "wait" ? typeof e.output : e.output,
    })),
    statuses: statuses.statuses.map((s) => ({ key: s.key, label: s.label, state: s.state, data: s.data, history: s.history.map((h) => ({ label: h.label, state: h.state, data: h.data })) })),
    metadataHistory: history.map((h) => ({ seq: h.seq, op: h.op, key: h.key, value: h.value, metadata: h.metadata })),
  };
}

afterEach(() => setFaultHandler(undefined));

describe("property: crashes at commit boundaries never change what a run ends with", () => {
  it("random workflows with random crash points end with the same journal, statuses and metadata as an uninterrupted run", async () => {
    // Crash points: the commits (counted per run, across its executions) that fail, and whether
    // they fail before the commit lands or after it landed, unknown to the execution.
    const crashesArb = fc.uniqueArray(fc.record({ at: fc.integer({ min: 1, max: 10 }), after: fc.boolean() }), { minLength: 1, maxLength: 4, selector: (c) => c.at });
    // The plan for the next run to start, taken by its first commit (the run starts before
    // trigger() returns its id).
    let nextPlan: Map<number, boolean> | undefined;
    const plans = new Map<string, Map<number, boolean>>();
    const commits = new Map<string, number>();
    let injected = 0;
    setFaultHandler((point: FaultPoint, runId: string) => {
      if (nextPlan && !plans.has(runId)) {
        plans.set(runId, nextPlan);
        nextPlan = undefined;
      }
      const plan = plans.get(runId);
      if (!plan) return;
      if (point.startsWith("before-commit:")) commits.set(runId, (commits.get(runId) ?? 0) + 1);
      const n = commits.get(runId)!;
      const after = plan.get(n);
      if (after === undefined || after !== point.startsWith("after-commit:")) return;
      plan.delete(n);
      injected++;
      throw Object.assign(new Error(`injected crash ${point} #${n}`), { code: "57P01" });
    });
    const engine = await startTestEngine("property", { tasks: [workflow], pollIntervalMs: 100, recoverySeconds: 1 });

    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 2, maxLength: 8 }), crashesArb, async (ops, crashes) => {
        const reference = await workflow.trigger(ops);
        const expected = await outcome(engine, reference.id);
        nextPlan = new Map(crashes.map((c) => [c.at, c.after]));
        const crashed = await workflow.trigger(ops);
        const actual = await outcome(engine, crashed.id);
        expect(expected.status).toBe("SUCCESS");
        expect(actual).toEqual(expected);
      }),
      { numRuns: 25, seed: Number(process.env.PROPERTY_SEED ?? Date.now() % 1_000_000), endOnFailure: true },
    );
    // The property must have been exercised, not skipped by plans past the end of every run.
    expect(injected).toBeGreaterThan(5);
  }, 120_000);
});
