import { describe, expect, it, vi } from "vitest";
import { runs } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { client } from "./fixtures/seed-v2-job.ts";
import { myTask as readMetadataTask } from "./fixtures/seed-v3-read-metadata.ts";
import { myTask as updateMetadataTask } from "./fixtures/seed-v3-update-metadata.ts";
import { main } from "./fixtures/seed-v3-backend.ts";
import { serviceOf } from "../engine/internal.ts";

describe("seed: statuses (v2 job)", () => {
  it("runs the meme generator from an event and keeps every status version", async () => {
    const engine = await startTestEngine("seed_v2", { clients: [client] });
    const { id: eventId } = await client.sendEvent({ name: "generate-memes", payload: {} });
    const [run] = await client.getEventRuns(eventId);
    expect(run).toBeDefined();
    const finished = await runs.poll(run!.id, { timeoutMs: 20_000 });
    expect(finished.status).toBe("SUCCESS");

    const { run: summary, statuses } = await client.getRunStatuses(run!.id);
    expect(summary).toEqual({ id: run!.id, status: "SUCCESS", output: undefined, revision: expect.any(Number), wait: null });
    expect(statuses).toHaveLength(1);
    const [status] = statuses;
    expect(status).toMatchObject({
      key: "generating-memes",
      label: "Generating memes",
      state: "success",
      data: { progress: 1, urls: [expect.stringContaining("giphy.gif")] },
    });
    expect(status!.history).toEqual([
      { label: "Generating memes", state: "loading", data: { progress: 0.1 }, at: expect.any(Date) },
    ]);
    const journal = await serviceOf(engine).getJournal(run!.id);
    expect(journal.map((e) => [e.kind, e.key])).toEqual([
      ["status", "generating-memes"],
      ["status", "middle-generation"],
    ]);
    expect(finished.taskVersion).toBe("0.1.1");
  });
});

describe("seed: run metadata (v3 task)", () => {
  it("reads trigger metadata inside the run and through runs.retrieve", async () => {
    await startTestEngine("seed_v3_read", { tasks: [readMetadataTask] });
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const handle = await readMetadataTask.trigger(
        { message: "hello world" },
        { metadata: { user: { name: "Eric", id: "user_1234" } } },
      );
      const finished = await runs.poll(handle.id, { timeoutMs: 20_000 });
      expect(finished.status).toBe("SUCCESS");
      expect(log).toHaveBeenCalledWith("Eric");
      expect(log).toHaveBeenCalledWith("user_1234");
      log.mockClear();
      const run = await main(handle.id);
      expect(run.metadata).toEqual({ user: { name: "Eric", id: "user_1234" } });
      expect(log.mock.calls).toEqual([["Eric"], ["user_1234"]]);
    } finally {
      log.mockRestore();
    }
  });

  it("journals every metadata.set and keeps the change history", async () => {
    const engine = await startTestEngine("seed_v3_update", { tasks: [updateMetadataTask] });
    const handle = await updateMetadataTask.trigger({ message: "hello world" });
    const run = await runs.poll(handle.id, { timeoutMs: 20_000 });
    expect(run.status).toBe("SUCCESS");
    expect(run.metadata).toEqual({ status: { state: "complete", progress: 1, message: "Done" } });
    const history = await serviceOf(engine).getMetadataHistory(handle.id);
    expect(history.map((c) => [c.op, c.key, (c.value as { progress: number }).progress])).toEqual([
      ["set", "status", 0.1],
      ["set", "status", 0.5],
      ["set", "status", 0.9],
      ["set", "status", 1],
    ]);
  });
});
