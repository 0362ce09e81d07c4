// A run's SSE route carrying the run's streams too (`?streams=a,b`): one connection for the run's
// changes and its chunks, ids that resume every part of it, resets on the shared connection.
import { describe, expect, it } from "vitest";
import { runs, streams, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { readSse, type SseMessage } from "./helpers/sse.ts";

const SECRET = "carried-streams-secret-key-0123456789";

const writer = task({
  id: "carried-writer",
  run: async (payload: { n: number }, { io }) => {
    for (let i = 1; i <= payload.n; i++) {
      await streams.append("tokens", `t${i}`);
      if (i % 2 === 0) await io.createStatus(`s${i}`, { label: `at ${i}`, state: "loading" });
    }
    await streams.pipe("logs", ["one", "two", "three"]).waitUntilComplete();
    return "ok";
  },
});

const data = (m: SseMessage) => JSON.parse(m.data) as Record<string, unknown>;
/** What a client keeps of a connection's events: each stream's chunk indexes, the journal revisions, the last run revision. */
function taken(messages: SseMessage[]) {
  const chunks: Record<string, number[]> = {};
  const journal: number[] = [];
  let run = -1;
  for (const m of messages) {
    if (m.event === "chunk") (chunks[data(m).key as string] ??= []).push(data(m).index as number);
    if (m.event === "journal") journal.push((data(m).entry as { revision: number }).revision);
    if (m.event === "run") run = data(m).revision as number;
  }
  return { chunks, journal, run };
}

describe("a run's stream carrying its streams", () => {
  it("sends the run's changes and each stream's chunks on one connection, ends after them all, and resumes from any event's id with nothing missed or repeated", async () => {
    const engine = await startTestEngine("carried_resume", { tasks: [writer], http: { port: 0 }, secretKey: SECRET });
    const headers = { authorization: `Bearer ${SECRET}` };
    const { id } = await writer.trigger({ n: 6 });
    await runs.poll(id, { timeoutMs: 20_000 });
    const url = `${engine.url}/api/runs/${id}/stream?streams=tokens,logs`;

    const { messages: all } = await readSse(url, { headers });
    expect(all.at(-1)).toMatchObject({ event: "end" });
    expect(data(all.at(-1)!)).toEqual({ id, status: "SUCCESS" });
    const whole = taken(all);
    expect(whole.chunks).toEqual({ tokens: [1, 2, 3, 4, 5, 6], logs: [1, 2, 3] });
    expect(whole.journal.length).toBeGreaterThanOrEqual(3);
    expect(all.filter((m) => m.event === "stream-end").map(data)).toEqual(expect.arrayContaining([
      { runId: id, key: "tokens", status: "SUCCESS", lastIndex: 6 },
      { runId: id, key: "logs", status: "SUCCESS", lastIndex: 3 },
    ]));
    // Every event but the end has an id that holds the run's position and each stream's.
    for (const m of all.slice(0, -1)) expect(m.id).toMatch(/^\d+_\d+\.\d+_\d+\.\d+$/);

    // A connection dropped after any event resumes, from that event's id, with exactly the rest.
    for (let cut = 0; cut < all.length - 1; cut++) {
      const { messages: rest } = await readSse(url, { headers: { ...headers, "last-event-id": all[cut]!.id! } });
      const joined = taken([...all.slice(0, cut + 1), ...rest]);
      expect(joined.chunks).toEqual(whole.chunks);
      expect(joined.journal).toEqual(whole.journal);
      expect(joined.run).toBe(whole.run);
      expect(rest.at(-1)?.event).toBe("end");
    }
  });

  it("passes a reset on the shared connection: the reader ends with the stream of an uninterrupted run", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gated = task({
      id: "carried-reset",
      run: async (_: null, { io }) => {
        await streams.append("out", "start");
        await io.runTask("step", async ({ attempt }) => {
          await streams.append("out", `a${attempt}`);
          if (attempt === 1) {
            await gate;
            throw new Error("fails after the reader has the chunk");
          }
        }, { retry: { maxAttempts: 2, minTimeoutInMs: 10, randomize: false } });
      },
    });
    const engine = await startTestEngine("carried_reset", { tasks: [gated], http: { port: 0 }, secretKey: SECRET });
    const { id } = await gated.trigger(null);
    const parts: string[] = [];
    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream?streams=out`, {
      headers: { authorization: `Bearer ${SECRET}` },
      stop: (m) => {
        if (m.event === "chunk") parts.push(data(m).data as string);
        if (m.event === "reset") parts.length = (data(m).fromIndex as number) - 1;
        if (m.event === "chunk" && data(m).data === "a1") release();
        return false;
      },
    });
    expect(messages.find((m) => m.event === "reset")).toMatchObject({ id: expect.stringMatching(/^\d+_1\.1$/) });
    expect(data(messages.find((m) => m.event === "reset")!)).toEqual({ key: "out", fromIndex: 2, resets: 1 });
    expect(parts).toEqual(["start", "a2"]);
    expect(messages.some((m) => m.event === "run")).toBe(true);
    expect(messages.at(-1)?.event).toBe("end");
  });

  it("with run=0 carries the streams only, then the end; bad keys and too many are refused before the stream starts", async () => {
    const engine = await startTestEngine("carried_only", { tasks: [writer], http: { port: 0 }, secretKey: SECRET });
    const headers = { authorization: `Bearer ${SECRET}` };
    const { id } = await writer.trigger({ n: 2 });
    await runs.poll(id, { timeoutMs: 20_000 });
    const base = `${engine.url}/api/runs/${id}/stream`;
    const { messages } = await readSse(`${base}?streams=logs&run=0`, { headers });
    expect(messages.map((m) => m.event)).toEqual(["chunk", "chunk", "chunk", "stream-end", "end"]);
    expect(data(messages.at(-1)!)).toEqual({ id, status: "SUCCESS" });
    // Resumed after the second chunk (the run's part left empty): the third only.
    const { messages: rest } = await readSse(`${base}?streams=logs&run=0&lastEventId=_0.2`, { headers });
    expect(rest.filter((m) => m.event === "chunk").map((m) => data(m).data)).toEqual(["three"]);

    const status = async (query: string) => (await fetch(`${base}?${query}`, { headers })).status;
    expect(await status("run=0")).toBe(400);
    expect(await status("streams=bad%20key")).toBe(400);
    expect(await status(`streams=${Array.from({ length: 33 }, (_, i) => `k${i}`).join(",")}`)).toBe(400);
  });
});
