// A run's SSE route carrying every stream of the run (`?streams=*`): streams announced as they
// appear, ids keyed by stream that resume every part of the connection, also from ids taken
// before some streams existed.
import { describe, expect, it, vi } from "vitest";
import { Database } from "../engine/db/database.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import { runs, streams, task } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { readSse, type SseMessage } from "./helpers/sse.ts";
import { until } from "./helpers/until.ts";
import type { StreamLimit } from "../wire/index.ts";

const SECRET = "all-streams-secret-key-0123456789";

const gates = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
const growing = task({
  id: "all-streams-growing",
  run: async (_: null, { io }) => {
    await streams.append("a", "a1");
    await io.createStatus("first", { label: "first", state: "loading" });
    await gates[0]!.promise;
    await streams.append("b.rows", { n: 1 });
    await streams.append("a", "a2");
    // The first attempt's chunk is superseded: a reader that had it gets a reset.
    await io.runTask("step", async ({ attempt }) => {
      await streams.append("c_out", `c-try${attempt}`);
      if (attempt === 1) throw new Error("superseded");
    }, { retry: { maxAttempts: 2, minTimeoutInMs: 10, randomize: false } });
    await gates[1]!.promise;
    await streams.pipe("b.rows", [{ n: 2 }, { n: 3 }]).waitUntilComplete();
    await streams.append("d:last", "d1");
    await io.createStatus("last", { label: "last", state: "success" });
    return "ok";
  },
});

const quiet = task({
  id: "all-streams-none",
  run: async (_: null, { io }) => {
    await io.createStatus("only", { label: "only", state: "success" });
    return "ok";
  },
});

const many = task({
  id: "all-streams-many",
  run: async () => {
    for (let i = 0; i < 34; i++) await streams.append(`s${String(i).padStart(2, "0")}`, i);
    return "ok";
  },
});

const hundreds = task({
  id: "all-streams-hundreds",
  run: async () => {
    for (let i = 0; i < 182; i++) await streams.append(`h${String(i).padStart(3, "0")}`, i);
    return "ok";
  },
});

const busyGate = Promise.withResolvers<void>();
const busy = task({
  id: "all-streams-busy",
  run: async () => {
    await busyGate.promise;
    for (let i = 0; i < 30; i++) await streams.append("only", i);
    return "ok";
  },
});

const data = (m: SseMessage) => JSON.parse(m.data) as Record<string, unknown>;

/**
 * What a client makes of a connection's events, as the hooks do: each stream's parts (a reset
 * drops those from its index), each journal entry's last revision, the last run revision. A
 * chunk at or below one held (sent twice) throws, as does a journal entry sent twice.
 */
function follow(messages: SseMessage[]) {
  const parts: Record<string, { index: number; data: unknown }[]> = {};
  const journal: Record<number, number> = {};
  let revision = 0;
  let run = -1;
  for (const m of messages) {
    const d = m.event === "end" || m.event === "message" ? {} : data(m);
    if (m.event === "chunk") {
      const list = (parts[d.key as string] ??= []);
      if ((list.at(-1)?.index ?? 0) >= (d.index as number)) throw new Error(`chunk ${String(d.key)}#${String(d.index)} came twice`);
      list.push({ index: d.index as number, data: d.data });
    }
    if (m.event === "reset") parts[d.key as string] = (parts[d.key as string] ?? []).filter((p) => p.index < (d.fromIndex as number));
    if (m.event === "journal") {
      const entry = d.entry as { seq: number; revision: number };
      if (entry.revision <= revision) throw new Error(`journal entry at revision ${entry.revision} came twice`);
      journal[entry.seq] = revision = entry.revision;
    }
    if (m.event === "run") run = d.revision as number;
  }
  const values = Object.fromEntries(Object.entries(parts).map(([key, list]) => [key, list.map((p) => p.data)]));
  return { values, journal, run };
}

/** A stream's announcement comes before any other event of it, on every connection. */
function expectAnnouncedFirst(messages: SseMessage[]) {
  const announced = new Set<string>();
  for (const m of messages) {
    if (m.event === "stream") announced.add(data(m).key as string);
    if (m.event === "chunk" || m.event === "reset" || m.event === "stream-end") expect(announced.has(data(m).key as string)).toBe(true);
  }
}

const UNINTERRUPTED = { "a": ["a1", "a2"], "b.rows": [{ n: 1 }, { n: 2 }, { n: 3 }], "c_out": ["c-try2"], "d:last": ["d1"] };

describe("a run's stream carrying every stream of the run", () => {
  it("announces each stream as it appears and resumes, from any event's id, even one taken before a stream existed, with exactly the rest", async () => {
    const engine = await startTestEngine("all_streams", { tasks: [growing], http: { port: 0 }, secretKey: SECRET });
    const headers = { authorization: `Bearer ${SECRET}` };
    const { id } = await growing.trigger(null);
    const url = `${engine.url}/api/runs/${id}/stream?streams=*`;

    // Followed live over three connections, each resuming after the last event of the one before,
    // while streams appear: "b.rows" and "c_out" after the first cut, "d:last" after the second.
    const live: SseMessage[] = [];
    const connections: SseMessage[][] = [];
    const read = async (stop: (m: SseMessage) => boolean) => {
      const lastId = live.at(-1)?.id;
      const { messages } = await readSse(url, { headers: lastId ? { ...headers, "last-event-id": lastId } : headers, stop });
      connections.push(messages);
      live.push(...messages);
    };
    await read((m) => m.event === "chunk" && data(m).data === "a1");
    gates[0]!.resolve();
    await read((m) => m.event === "chunk" && data(m).data === "c-try2");
    gates[1]!.resolve();
    await read(() => false);
    expect(live.at(-1)?.event).toBe("end");
    for (const messages of connections) expectAnnouncedFirst(messages);
    expect(connections[0]!.filter((m) => m.event === "stream").map((m) => data(m).key)).toEqual(["a"]);
    expect(connections[2]!.filter((m) => m.event === "stream").map((m) => data(m).key)).toEqual(expect.arrayContaining(["a", "b.rows", "c_out", "d:last"]));
    const followed = follow(live);
    expect(followed.values).toEqual(UNINTERRUPTED);
    await runs.poll(id, { timeoutMs: 20_000 });

    // Read whole once finished: the streams in the order they started, ids keyed by stream.
    const { messages: whole } = await readSse(url, { headers });
    expect(whole.filter((m) => m.event === "stream").map((m) => data(m).key)).toEqual(["a", "b.rows", "c_out", "d:last"]);
    expectAnnouncedFirst(whole);
    expect(data(whole.at(-1)!)).toEqual({ id, status: "SUCCESS" });
    expect(whole.filter((m) => m.event === "stream-end").map((m) => data(m).key).sort()).toEqual(["a", "b.rows", "c_out", "d:last"]);
    for (const m of whole.slice(0, -1)) expect(m.id).toMatch(/^\d+(~[A-Za-z0-9_.:-]+=\d+\.\d+)*$/);
    const all = follow(whole);
    expect(all.values).toEqual(UNINTERRUPTED);
    expect(followed.journal).toEqual(all.journal);
    expect(followed.run).toBe(all.run);

    // A connection cut after any event, of the live ones or the whole read, resumes from that
    // event's id with exactly what the client lacks.
    for (const transcript of [live, whole]) {
      for (let cut = 0; cut < transcript.length - 1; cut++) {
        const { messages: rest } = await readSse(url, { headers: { ...headers, "last-event-id": transcript[cut]!.id! } });
        expect(rest.at(-1)?.event).toBe("end");
        expectAnnouncedFirst(rest);
        const joined = follow([...transcript.slice(0, cut + 1), ...rest]);
        expect(joined.values).toEqual(UNINTERRUPTED);
        expect(joined.journal).toEqual(all.journal);
        expect(joined.run).toBe(all.run);
      }
    }
  });

  it("with run=0 carries every stream only, then the end; a run without streams ends at once; a made-up stream in the id is not carried", async () => {
    const engine = await startTestEngine("all_streams_only", { tasks: [growing, quiet], http: { port: 0 }, secretKey: SECRET });
    const headers = { authorization: `Bearer ${SECRET}` };
    gates[0]!.resolve();
    gates[1]!.resolve();
    const { id } = await growing.trigger(null);
    await runs.poll(id, { timeoutMs: 20_000 });
    const base = `${engine.url}/api/runs/${id}/stream?streams=*&run=0`;
    const { messages } = await readSse(base, { headers });
    expect(new Set(messages.map((m) => m.event))).toEqual(new Set(["stream", "chunk", "stream-end", "end"]));
    expect(follow(messages).values).toEqual(UNINTERRUPTED);
    expect(messages.at(-1)?.event).toBe("end");

    // Resumed with the run's part empty: "a" after its first chunk, the others whole; "zz" is no stream of the run.
    const { messages: rest } = await readSse(`${base}&lastEventId=${encodeURIComponent("~a=0.1~zz=0.4")}`, { headers });
    expect(follow(rest).values).toEqual({ ...UNINTERRUPTED, a: ["a2"] });
    expect(rest.filter((m) => m.event === "stream").map((m) => data(m).key)).toEqual(["a", "b.rows", "c_out", "d:last"]);
    for (const m of rest.slice(0, -1)) expect(m.id).not.toContain("zz");

    const none = await quiet.trigger(null);
    await runs.poll(none.id, { timeoutMs: 20_000 });
    const { messages: nothing } = await readSse(`${engine.url}/api/runs/${none.id}/stream?streams=*&run=0`, { headers });
    expect(nothing.map((m) => m.event)).toEqual(["end"]);
    const { messages: runOnly } = await readSse(`${engine.url}/api/runs/${none.id}/stream?streams=*`, { headers });
    expect(runOnly.at(-1)?.event).toBe("end");
    expect(runOnly.some((m) => m.event === "stream")).toBe(false);
  });
});

describe("a run with more streams than a connection carries", () => {
  it("carries the first 32 and says so, naming the others (stream-limit { limit, streams, leftOut }), instead of leaving the others out silently", async () => {
    const engine = await startTestEngine("all_streams_limit", { tasks: [many], http: { port: 0 }, secretKey: SECRET });
    const { id } = await many.trigger(null);
    await runs.poll(id, { timeoutMs: 20_000 });
    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream?streams=*&run=0`, { headers: { authorization: `Bearer ${SECRET}` } });
    const announced = messages.filter((m) => m.event === "stream").map((m) => data(m).key);
    expect(announced).toEqual(Array.from({ length: 32 }, (_, i) => `s${String(i).padStart(2, "0")}`));
    expect(messages.filter((m) => m.event === "stream-limit").map(data)).toEqual([{ limit: 32, streams: 34, leftOut: ["s32", "s33"] }]);
    expect(messages.at(-1)?.event).toBe("end");
  });

  it("names at most 100 streams it left out, however many the run writes, and counts them all", async () => {
    const engine = await startTestEngine("all_streams_named_cap", { tasks: [hundreds], http: { port: 0 }, secretKey: SECRET });
    const { id } = await hundreds.trigger(null);
    await runs.poll(id, { timeoutMs: 30_000 });
    const { messages } = await readSse(`${engine.url}/api/runs/${id}/stream?streams=*&run=0`, { headers: { authorization: `Bearer ${SECRET}` } });
    const limits = messages.filter((m) => m.event === "stream-limit").map((m) => JSON.parse(m.data) as StreamLimit);
    expect(limits.at(-1)).toMatchObject({ limit: 32, streams: 182 });
    const named = limits.flatMap((l) => l.leftOut);
    expect(named).toEqual(Array.from({ length: 100 }, (_, i) => `h${String(i + 32).padStart(3, "0")}`));
    expect(messages.filter((m) => m.event === "stream")).toHaveLength(32);
    expect(messages.at(-1)?.event).toBe("end");
  });

  it("carries a stream it left out when the client names it beside * (?streams=*,s33), and resumes it from the keyed id", async () => {
    const engine = await startTestEngine("all_streams_named", { tasks: [many], http: { port: 0 }, secretKey: SECRET });
    const headers = { authorization: `Bearer ${SECRET}` };
    const { id } = await many.trigger(null);
    await runs.poll(id, { timeoutMs: 20_000 });
    const url = `${engine.url}/api/runs/${id}/stream?streams=*,s33&run=0`;
    const { messages } = await readSse(url, { headers });
    const first32 = Array.from({ length: 32 }, (_, i) => `s${String(i).padStart(2, "0")}`);
    // The 32 found are announced as before, and s33 comes too, named: still left out of the 32.
    expect(messages.filter((m) => m.event === "stream").map((m) => data(m).key)).toEqual(first32);
    expect(messages.filter((m) => m.event === "stream-limit").map(data)).toEqual([{ limit: 32, streams: 34, leftOut: ["s32", "s33"] }]);
    expect(follow(messages).values).toEqual(Object.fromEntries([...first32, "s33"].map((key) => [key, [Number(key.slice(1))]])));
    expect(messages.filter((m) => m.event === "stream-end").map((m) => data(m).key)).toContain("s33");
    expect(messages.at(-1)?.event).toBe("end");

    // Resumed from the last chunk's id: s33 (named, its position in the id) is not sent again, nor announced.
    const lastChunk = messages.filter((m) => m.event === "chunk").at(-1)!;
    expect(lastChunk.id).toContain("~s33=0.1");
    const { messages: rest } = await readSse(url, { headers: { ...headers, "last-event-id": lastChunk.id! } });
    expect(rest.filter((m) => m.event === "chunk")).toEqual([]);
    expect(rest.filter((m) => m.event === "stream").map((m) => data(m).key)).toEqual(first32);
    expect(rest.at(-1)?.event).toBe("end");
  });
});

describe("looking for new streams", () => {
  it("is not done for commits to a stream the connection carries already (their notification names it)", async () => {
    const engine = await startTestEngine("all_streams_looks", { tasks: [busy], http: { port: 0 }, secretKey: SECRET });
    const keysOf = buildStatements(engine.options.schema).streams.keysOf;
    const query = vi.spyOn(Database.prototype, "query");
    const looks = () => query.mock.calls.filter(([text]) => text === keysOf).length;
    try {
      const { id } = await busy.trigger(null);
      const reading = readSse(`${engine.url}/api/runs/${id}/stream?streams=*&run=0`, { headers: { authorization: `Bearer ${SECRET}` } });
      await until(async () => (looks() > 0 ? true : undefined), 10_000);
      busyGate.resolve();
      const { messages } = await reading;
      expect(follow(messages).values).toEqual({ only: Array.from({ length: 30 }, (_, i) => i) });
      // The first look, one for the stream's first notification, one once the run finished (and a
      // safety look every 5 s): not one for each of the 30 commits.
      expect(looks()).toBeLessThanOrEqual(5);
    } finally {
      query.mockRestore();
    }
  });
});
