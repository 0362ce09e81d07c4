import { describe, expect, it } from "vitest";
import { task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { readSse, statusVersions } from "./helpers/sse.ts";

const SECRET = "test-secret-key-0123456789";
const auth = { authorization: `Bearer ${SECRET}` };

const progress = task({
  id: "progress",
  run: async (p: { gateMs: number }, { io }) => {
    const status = await io.createStatus("progress", { label: "Working", state: "loading", data: { n: 1 } });
    for (let n = 2; n <= 50; n++) {
      await status.update(`step-${n}`, { data: { n }, ...(n === 50 ? { state: "success" as const } : {}) });
      await new Promise((r) => setTimeout(r, p.gateMs));
    }
    return "done";
  },
});

describe("run stream (SSE)", () => {
  it("delivers all 50 status versions in order, and a reconnect with Last-Event-ID gets exactly the rest", async () => {
    const engine = await startTestEngine("sse", { tasks: [progress], http: { port: 0 }, secretKey: SECRET });
    const { id } = await progress.trigger({ gateMs: 15 });
    const url = `${engine.url}/api/runs/${id}/stream`;

    const whole = readSse(url, { headers: auth });
    const firstHalf = await readSse(url, { headers: auth, stop: (_, all) => statusVersions(all).length >= 20 });
    const lastId = firstHalf.messages.at(-1)!.id!;
    const rest = await readSse(url, { headers: { ...auth, "last-event-id": lastId } });

    const all = (await whole).messages;
    expect(statusVersions(all)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(all.at(-1)!.event).toBe("end");
    expect(JSON.parse(all.filter((m) => m.event === "run").at(-1)!.data)).toMatchObject({ id, status: "SUCCESS", output: "done" });

    const resumed = [...statusVersions(firstHalf.messages), ...statusVersions(rest.messages)];
    expect(resumed).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const ids = [...firstHalf.messages, ...rest.messages].map((m) => m.id).filter((x): x is string => x !== undefined).map(Number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a stream opened after the run finished replays the whole journal and ends", async () => {
    const engine = await startTestEngine("sse_late", { tasks: [progress], http: { port: 0 }, secretKey: SECRET });
    const { id } = await progress.trigger({ gateMs: 0 });
    await engine.service.pollRun(id, 20_000);
    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream?token=${SECRET}`);
    expect(statusVersions(messages)).toHaveLength(50);
    expect(messages.at(-1)!.event).toBe("end");
  });

  it("sends the statuses this process commits without waiting for Postgres to notify it", async () => {
    let connected: () => void = () => undefined;
    const streamOpen = new Promise<void>((resolve) => (connected = resolve));
    const gated = task({
      id: "gated-progress",
      run: async (_: null, { io }) => {
        const status = await io.createStatus("progress", { label: "Working", state: "loading", data: { n: 1 } });
        await streamOpen;
        for (let n = 2; n <= 4; n++) {
          await status.update(`step-${n}`, { data: { n } });
          await new Promise((r) => setTimeout(r, 20));
        }
        return "done";
      },
    });
    // No notifications reach this engine: the worker finds the run by polling, and the stream
    // learns of the updates only from the writes this process commits.
    const engine = await startTestEngine("sse_local", { tasks: [gated], http: { port: 0 }, secretKey: SECRET, pollIntervalMs: 50 });
    await engine.parts.listener.stop();
    const { id } = await gated.trigger(null);
    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream`, {
      headers: auth,
      stop: (message, all) => (message.event === "run" && connected(), statusVersions(all).length >= 4),
    });
    expect(statusVersions(messages)).toEqual([1, 2, 3, 4]);
  });
});
