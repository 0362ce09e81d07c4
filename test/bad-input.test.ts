import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidPayloadError, MetadataTooLargeError, RunNotFoundError, metadata, runs, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { serviceOf } from "../engine/internal.ts";

/** Metadata whose JSON text is exactly `bytes` UTF-8 bytes long. */
function metadataOfSize(bytes: number) {
  const overhead = JSON.stringify({ blob: "" }).length;
  return { blob: "x".repeat(bytes - overhead) };
}

const noop = task({ id: "noop", run: async () => "ok" });
const typed = task({
  id: "typed",
  schema: z.object({ email: z.string().email() }),
  run: async (p: { email: string }) => p.email,
});

describe("bad input gets a clear error and writes nothing", () => {
  it("accepts 4,096 bytes of metadata and refuses 4,097 without creating a run", async () => {
    const engine = await startTestEngine("bad_meta", { tasks: [noop] });
    const ok = await noop.trigger({}, { metadata: metadataOfSize(4096) });
    expect((await runs.retrieve(ok.id)).metadata).toEqual(metadataOfSize(4096));

    const refused = noop.trigger({}, { metadata: metadataOfSize(4097) });
    await expect(refused).rejects.toBeInstanceOf(MetadataTooLargeError);
    await expect(refused).rejects.toMatchObject({ size: 4097, limit: 4096, message: expect.stringContaining("4097 bytes") });
    const [{ n }] = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${engine.options.schema}".runs`)) as [{ n: number }];
    expect(n).toBe(1);
  });

  it("counts metadata in UTF-8 bytes and honours maxMetadataBytes", async () => {
    await startTestEngine("bad_meta_cfg", { tasks: [noop], maxMetadataBytes: 100 });
    await expect(noop.trigger({}, { metadata: { s: "é".repeat(47) } })).rejects.toMatchObject({ size: 102, limit: 100 });
    await expect(noop.trigger({}, { metadata: { s: "é".repeat(46) } })).resolves.toHaveProperty("id");
  });

  it("a metadata write over the limit inside a run throws and leaves metadata and journal untouched", async () => {
    let caught: unknown;
    const writer = task({
      id: "writer",
      run: async () => {
        await metadata.set("small", 1);
        try {
          await metadata.set("big", "x".repeat(5000));
        } catch (error) {
          caught = error;
        }
        return metadata.current();
      },
    });
    const engine = await startTestEngine("bad_meta_run", { tasks: [writer] });
    const { id } = await writer.trigger({});
    const run = await runs.poll(id);
    expect(caught).toBeInstanceOf(MetadataTooLargeError);
    expect(run.status).toBe("SUCCESS");
    expect(run.metadata).toEqual({ small: 1 });
    expect(run.output).toEqual({ small: 1 });
    expect((await serviceOf(engine).getJournal(id)).map((e) => e.key)).toEqual(["set:small"]);
  });

  it("rejects a payload that fails the task's schema before any run exists", async () => {
    const engine = await startTestEngine("bad_payload", { tasks: [typed] });
    const refused = typed.trigger({ email: "not-an-email" });
    await expect(refused).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(refused).rejects.toThrow(/email/);
    const rows = await sql(`SELECT 1 FROM "${engine.options.schema}".runs`);
    expect(rows).toHaveLength(0);
  });

  it("rejects values that cannot be stored", async () => {
    await startTestEngine("bad_values", { tasks: [noop] });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(noop.trigger(circular)).rejects.toThrow(/circular/);
    await expect(noop.trigger({ f: () => 1 })).rejects.toThrow(/function/);
    await expect(noop.trigger({ s: "a\u0000b" })).rejects.toThrow(/NUL/);
    await expect(noop.trigger({}, { metadata: { n: 10n as unknown as number } })).rejects.toBeInstanceOf(InvalidPayloadError);
  });

  it("an unknown run id is a RunNotFoundError everywhere", async () => {
    await startTestEngine("bad_ids", { tasks: [noop] });
    for (const call of [runs.retrieve, runs.retry, runs.cancel, runs.replay]) {
      await expect(call("run_doesnotexist")).rejects.toBeInstanceOf(RunNotFoundError);
    }
    await expect(runs.retrieve("run_'; DROP TABLE runs; --")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
  });

  it("superjson values survive the journal: Date, Map, Set, BigInt, undefined", async () => {
    const rich = task({
      id: "rich",
      run: async (p: { at: Date }, { io }) =>
        io.runTask("make", async () => ({ at: p.at, map: new Map([["a", 1]]), set: new Set([1, 2]), big: 10n ** 20n, none: undefined })),
    });
    await startTestEngine("rich", { tasks: [rich] });
    const at = new Date("2026-01-02T03:04:05.678Z");
    const { id } = await rich.trigger({ at });
    const run = await runs.poll(id);
    expect(run.output).toEqual({ at, map: new Map([["a", 1]]), set: new Set([1, 2]), big: 10n ** 20n, none: undefined });
    expect(run.payload).toEqual({ at });
  });
});
