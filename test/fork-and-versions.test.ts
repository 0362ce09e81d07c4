import { afterAll, describe, expect, it } from "vitest";
import { Client, DuplicateTaskError, eventTrigger, metadata, runs, task, wait } from "durably";
import { createEngine } from "durably/engine";
import { startTestEngine, withEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./helpers/db.ts";
import { definitionsOf, serviceOf } from "../engine/internal.ts";

async function waitForStatus(id: string, status: string): Promise<void> {
  await until(async () => ((await runs.retrieve(id)).status === status ? true : undefined), 20_000);
}

describe("runs.fork", () => {
  it("re-runs only the steps from fromSeq on, with statuses and metadata as of that point", async () => {
    const calls = { a: 0, b: 0, c: 0 };
    const t = task({
      id: "forkable",
      run: async (_: unknown, { io }) => {
        const a = await io.runTask("a", async () => ++calls.a);
        await metadata.set("after", "a");
        await io.createStatus("progress", { label: "half way" });
        const b = await io.runTask("b", async () => ++calls.b);
        await metadata.set("after", "b");
        const c = await io.runTask("c", async () => ++calls.c);
        return { a, b, c };
      },
    });
    const engine = await startTestEngine("fork", { tasks: [t] });
    const { id } = await t.trigger({}, { metadata: { origin: "trigger" } });
    expect((await runs.poll(id)).output).toEqual({ a: 1, b: 1, c: 1 });
    const journal = await serviceOf(engine).getJournal(id);
    const bSeq = journal.find((e) => e.key === "b")!.seq;

    const fork = await runs.fork(id, { fromSeq: bSeq });
    const forked = await runs.poll(fork.id);
    expect(forked.status).toBe("SUCCESS");
    expect(forked.output).toEqual({ a: 1, b: 2, c: 2 });
    expect(calls).toEqual({ a: 1, b: 2, c: 2 });
    expect(forked.forkedFrom).toBe(id);
    expect(forked.metadata).toEqual({ origin: "trigger", after: "b" });
    expect((await serviceOf(engine).getRunStatuses(fork.id)).statuses.map((s) => s.label)).toEqual(["half way"]);
    expect((await serviceOf(engine).getJournal(fork.id)).map((e) => e.key)).toEqual(journal.map((e) => e.key));
  });
});

describe("versions and io.patched", () => {
  const schema = uniqueSchema("versions");
  afterAll(() => dropSchemas(schema));


  it("a run stays on the version it started with while a newer one is registered", async () => {
    const v1 = task({ id: "versioned", version: "1", run: async (_: unknown, { io }) => { await io.wait("pause", 1); return "v1"; } });
    const v2 = task({ id: "versioned", version: "2", run: async () => "v2" });
    const { id } = await withEngine(schema, [v1], async () => {
      const handle = await v1.trigger({});
      await waitForStatus(handle.id, "WAITING");
      return handle;
    });
    await withEngine(schema, [v1, v2], async () => {
      const fresh = await runs.poll((await v2.trigger({})).id);
      expect(fresh).toMatchObject({ output: "v2", taskVersion: "2" });
      expect(await runs.poll(id, { timeoutMs: 20_000 })).toMatchObject({ status: "SUCCESS", output: "v1", taskVersion: "1" });
    });
  });

  it("two different definitions with one id and version refuse to start, naming the id; one reached twice runs once", async () => {
    const a = task({ id: "twin", run: async () => "a" });
    const b = task({ id: "twin", run: async () => "b" });
    expect(() => createEngine({ databaseUrl: TEST_DATABASE_URL, tasks: [a, b] })).toThrow(DuplicateTaskError);
    expect(() => createEngine({ databaseUrl: TEST_DATABASE_URL, tasks: [a], clients: [b] })).toThrow(/"twin" \(version 1\)/);

    const client = new Client({ id: "twins" });
    client.defineJob({ id: "twin-job", name: "Twin job", version: "1", trigger: eventTrigger({ name: "twin.event" }), run: async () => "job" });
    const twinV2 = task({ id: "twin", version: "2", run: async () => "a2" });
    const engine = await startTestEngine("twins", { tasks: [a, a, twinV2, client], clients: [client] });
    expect(definitionsOf(engine).map((d) => `${d.id}@${d.version}`)).toEqual(["twin@1", "twin@2", "twin-job@1"]);
  });

  it("io.patched is false for a run recorded before the patch, which replays the old path; true for new runs", async () => {
    const effects: string[] = [];
    const before = task({
      id: "patchable",
      run: async (_: unknown, { io }) => {
        await io.runTask("charge", async () => effects.push("charge"));
        await wait.for({ seconds: 1 });
        await io.runTask("email", async () => effects.push("email"));
        return "old";
      },
    });
    const after = task({
      id: "patchable",
      run: async (_: unknown, { io }) => {
        if (await io.patched("receipt-first")) await io.runTask("receipt", async () => effects.push("receipt"));
        await io.runTask("charge", async () => effects.push("charge"));
        await wait.for({ seconds: 1 });
        await io.runTask("email", async () => effects.push("email"));
        return "new";
      },
    });
    const { id: old } = await withEngine(schema, [before], async () => {
      const handle = await before.trigger({});
      await waitForStatus(handle.id, "WAITING");
      return handle;
    });
    await withEngine(schema, [after], async () => {
      const oldRun = await runs.poll(old, { timeoutMs: 20_000 });
      expect(oldRun).toMatchObject({ status: "SUCCESS", output: "new" });
      expect(effects).toEqual(["charge", "email"]);
      const fresh = await runs.poll((await after.trigger({})).id, { timeoutMs: 20_000 });
      expect(fresh.status).toBe("SUCCESS");
      expect(effects).toEqual(["charge", "email", "receipt", "charge", "email"]);
    });
  });
});
