import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  Client,
  DurablyError,
  EventNotFoundError,
  InvalidPayloadError,
  InvalidRunStateError,
  MetadataTooLargeError,
  RunNotFoundError,
  ScheduleNotFoundError,
  TaskNotFoundError,
  TimeoutError,
  audit,
  auth,
  metadata,
  configure,
  eventTrigger,
  runs,
  schedules,
  streams,
  task,
  tasks,
  wait,
  type Run,
  type RunHandle,
} from "durably";
import { createEngine, type Engine } from "durably/engine";
import { disconnect, getBackend, type RunUpdate } from "../sdk/backend.ts";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

/**
 * One suite, two backends: every call an app makes through `configure({ databaseUrl })` must
 * behave as it does through `configure({ baseUrl, secretKey })` against the same engine. Each
 * outcome the first backend gives is recorded, and the second must give the same.
 */
const SECRET = "contract-secret-key-0123456789";
const schema = uniqueSchema("contract");

const greet = task({
  id: "contract-greet",
  schema: z.object({ name: z.string() }),
  run: async (payload: { name: string }) => `hello ${payload.name}`,
});
const sleepy = task({
  id: "contract-sleepy",
  run: async () => {
    await wait.for({ hours: 1 });
    return "woke";
  },
});
const failing = task({
  id: "contract-failing",
  retry: { maxAttempts: 1 },
  run: async (): Promise<never> => {
    throw new Error("boom");
  },
});
const parent = task({
  id: "contract-parent",
  run: async (payload: { name: string }) => {
    const greeting = await greet.triggerAndWait({ name: payload.name });
    const { runs: [byId] } = await tasks.batchTrigger<typeof greet>("contract-greet", [{ payload: { name: "sibling" } }]);
    return { greeting, sibling: byId!.id.startsWith("run_") };
  },
});
const approval = task({
  id: "contract-approval",
  run: async (payload: { token: string }) => (await wait.forToken<{ approved: boolean }>(payload.token)).unwrap(),
});
const streamer = task({
  id: "contract-streamer",
  run: async (payload: { n: number }) => {
    for (let i = 1; i <= payload.n; i++) await streams.append("out", { i });
    await streams.pipe(["a", "b"]).waitUntilComplete();
  },
});
const audited = task({
  id: "contract-audited",
  run: async (_: null, { io }) => {
    const status = await io.createStatus("step", { label: "Working", state: "loading" });
    await metadata.set("phase", "working");
    await status.update("step-done", { state: "success" });
    await metadata.set("phase", "done");
  },
});
const client = new Client({ id: "contract" });
client.defineJob({
  id: "contract-job",
  name: "Contract job",
  version: "1",
  trigger: eventTrigger({ name: "contract.event" }),
  run: async (payload: { n: number }) => payload.n * 2,
});

let engine: Engine;

beforeAll(async () => {
  engine = createEngine({
    databaseUrl: TEST_DATABASE_URL, schema, tasks: [greet, sleepy, failing, parent, approval, streamer, audited], clients: [client],
    http: { port: 0 }, secretKey: SECRET, logLevel: "error", pollIntervalMs: 200,
  });
  await engine.start();
});

afterAll(async () => {
  await disconnect();
  await engine?.stop();
  await dropSchemas(schema);
});

/** What a call gave: its value, or its error's class, code and the fields its class carries. */
async function outcome<T>(call: Promise<T>): Promise<{ value: T } | { error: Record<string, unknown> }> {
  try {
    return { value: await call };
  } catch (error) {
    if (!(error instanceof DurablyError)) throw error;
    const { message: _message, stack: _stack, cause: _cause, ...fields } = Object.assign({}, error) as unknown as Record<string, unknown>;
    return { error: { class: error.constructor.name, ...fields } };
  }
}

/** Outcomes seen on the first backend, by scenario; the second must match them. */
const seen = new Map<string, unknown>();
function expectSame(scenario: string, value: unknown): void {
  if (!seen.has(scenario)) seen.set(scenario, value);
  else expect(value, scenario).toEqual(seen.get(scenario));
}

/** A run as both backends must return it, without what differs between two runs of the same call. */
const shape = (run: Run) => ({
  status: run.status, taskIdentifier: run.taskIdentifier, taskVersion: run.taskVersion, payload: run.payload, output: run.output,
  error: run.error && { name: run.error.name, message: run.error.message }, metadata: run.metadata,
  tags: run.tags.map((tag) => tag.replace(/direct|HTTP/, "<backend>")),
  isCompleted: run.isCompleted, isSuccess: run.isSuccess, isFailed: run.isFailed,
  isQueued: run.isQueued, isExecuting: run.isExecuting, isWaiting: run.isWaiting, isCancelled: run.isCancelled,
  dates: [run.createdAt, run.startedAt, run.finishedAt, run.updatedAt].map((d) => (d === null ? null : d instanceof Date)),
});

const backends = [
  ["direct", () => configure({ databaseUrl: TEST_DATABASE_URL, schema, secretKey: SECRET })],
  ["HTTP", () => configure({ baseUrl: engine.url!, secretKey: SECRET })],
] as const;

describe.each(backends)("the %s backend", (name, use) => {
  beforeAll(use);
  const tag = `contract-${name}`;

  it("streams.read yields a run's chunks as they are appended, from `after` on, and ends with the run", async () => {
    const collect = async <T>(iterable: AsyncIterable<T>) => {
      const values: T[] = [];
      for await (const value of iterable) values.push(value);
      return values;
    };
    const { id } = await streamer.trigger({ n: 3 });
    const read = await collect(await streams.read(id, "out"));
    expect(read).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    expectSame("stream read", read);
    expectSame("default stream after 1", await collect(await streams.read(id, undefined, { after: 1 })));
    expectSame("stream of a missing run", await outcome(streams.read("run_missing", "out").then(collect)));
  });

  it("task.trigger and tasks.trigger start runs whose result runs.poll and runs.retrieve return", async () => {
    const byTask = await greet.trigger({ name: "Ada" }, { tags: [tag], metadata: { from: "task" } });
    const byId = await tasks.trigger<typeof greet>("contract-greet", { name: "Bo" }, { tags: [tag] });
    const polled = await runs.poll(byId, { timeoutMs: 30_000 });
    expectTypeOf(polled.output).toEqualTypeOf<string | undefined>();
    expect(polled).toMatchObject({ id: byId.id, status: "SUCCESS", output: "hello Bo" });
    expect(await runs.retrieve(byId)).toEqual(polled);
    expectSame("trigger by task", shape(await runs.poll(byTask.id, { timeoutMs: 30_000 })));
    expectSame("trigger by id", shape(polled));
  });

  it("an idempotency key gives back the run that holds it, by task or by id", async () => {
    const key = `contract-key-${name}`;
    const first = await greet.trigger({ name: "once" }, { idempotencyKey: key });
    const again = await tasks.trigger<typeof greet>("contract-greet", { name: "twice" }, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expectSame("idempotency", shape(await runs.poll(again, { timeoutMs: 30_000 })));
  });

  it("batchTrigger starts every run in one call, by task or by id", async () => {
    const { runs: byTask } = await greet.batchTrigger([{ payload: { name: "a" } }, { payload: { name: "b" }, options: { tags: [tag] } }]);
    const { runs: byId } = await tasks.batchTrigger<typeof greet>("contract-greet", [{ payload: { name: "c" } }]);
    const finished = await Promise.all([...byTask, ...byId].map((h) => runs.poll(h, { timeoutMs: 30_000 })));
    expectSame("batch", finished.map(shape));
  });

  it("triggerBatch with an idempotency key gives the same batch id again (a run's batch made again after a crash)", async () => {
    const backend = await getBackend();
    const key = `contract-batch-${Math.random().toString(36).slice(2)}`;
    const items = [{ taskId: "contract-greet", payload: { name: "k" }, options: { idempotencyKey: `${key}:0` } }];
    const first = await backend.triggerBatch(items, { idempotencyKey: key });
    const again = await backend.triggerBatch(items, { idempotencyKey: key });
    expect(again).toEqual({ batchId: first.batchId, runs: [{ id: first.runs[0]!.id, isCached: true }] });
    const other = await backend.triggerBatch(items);
    expect(other.batchId).not.toBe(first.batchId);
    await runs.poll(first.runs[0]!.id, { timeoutMs: 30_000 });
  });

  it("subscribeToRun, subscribeToRunsWithTag and subscribeToBatch give runs.retrieve's Run, createdAt and all", async () => {
    const shapeTag = `contract-shape-${Math.random().toString(36).slice(2)}`;
    const { batchId, runs: [handle] } = await greet.batchTrigger([{ payload: { name: "shape" }, options: { tags: [shapeTag] } }]);
    const last = async (iterator: AsyncIterableIterator<Run>) => {
      let snapshot: Run | undefined;
      for await (const run of iterator) {
        snapshot = run;
        if (run.isCompleted) break;
      }
      return snapshot!;
    };
    const snapshots = {
      run: await last(runs.subscribeToRun(handle!.id)),
      tag: await last(runs.subscribeToRunsWithTag(shapeTag)),
      batch: await last(runs.subscribeToBatch(batchId!)),
    };
    const retrieved = await runs.retrieve(handle!.id);
    expect(retrieved.createdAt).toBeInstanceOf(Date);
    expect(retrieved.updatedAt).toBeInstanceOf(Date);
    // The fields of Trigger.dev's run shape that durably has, its status flags included.
    expect(retrieved).toMatchObject({
      id: handle!.id, status: "SUCCESS", taskIdentifier: "contract-greet", payload: { name: "shape" }, output: "hello shape",
      metadata: {}, tags: [shapeTag], idempotencyKey: null, error: null,
      isCompleted: true, isSuccess: true, isFailed: false, isQueued: false, isExecuting: false, isWaiting: false, isCancelled: false,
    });
    for (const [from, snapshot] of Object.entries(snapshots)) expect(snapshot, from).toEqual(retrieved);
  });

  it("a delayed run and a run with a ttl start through the job queue", async () => {
    const until = await greet.trigger({ name: "at" }, { delay: new Date(Date.now() + 2_000) });
    expect((await runs.retrieve(until)).status).toBe("QUEUED");
    const delayed = await greet.trigger({ name: "later" }, { delay: "1s" });
    const expiring = await greet.trigger({ name: "soon" }, { ttl: "1h" });
    const finished = await Promise.all([delayed, until, expiring].map((h) => runs.poll(h, { timeoutMs: 30_000 })));
    expectSame("delay and ttl", finished.map(shape));
  });

  it("refuses the same bad calls with the same error classes and codes", async () => {
    const done = await greet.trigger({ name: "done" });
    await runs.poll(done, { timeoutMs: 30_000 });
    const tooMuch = { blob: "x".repeat(5000) };
    const calls: Record<string, () => Promise<unknown>> = {
      "unknown run": () => runs.retrieve("run_contract_missing"),
      "unknown task": () => tasks.trigger("contract-missing", {}),
      "bad payload": () => greet.trigger({ name: 5 } as never),
      "metadata too large": () => greet.trigger({ name: "x" }, { metadata: tooMuch }),
      "too many tags": () => tasks.trigger("contract-greet", { name: "x" }, { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }),
      "retry of a successful run": () => runs.retry(done.id),
      "cancel of an unknown run": () => runs.cancel("run_contract_missing"),
      "unknown schedule": () => schedules.del("sched_contract_missing"),
      "unknown event": () => client.getEventRuns("evt_contract_missing"),
    };
    const classes = {
      "unknown run": RunNotFoundError, "unknown task": TaskNotFoundError, "bad payload": InvalidPayloadError,
      "metadata too large": MetadataTooLargeError, "too many tags": InvalidPayloadError, "retry of a successful run": InvalidRunStateError,
      "cancel of an unknown run": RunNotFoundError, "unknown schedule": ScheduleNotFoundError, "unknown event": EventNotFoundError,
    };
    for (const [scenario, call] of Object.entries(calls)) {
      await expect(call(), scenario).rejects.toBeInstanceOf(classes[scenario as keyof typeof classes]);
      expectSame(scenario, await outcome(call()));
    }
    expect(await outcome(runs.retrieve("run_contract_missing"))).toEqual({ error: { class: "RunNotFoundError", name: "RunNotFoundError", code: "RUN_NOT_FOUND", runId: "run_contract_missing" } });
    expect(await outcome(greet.trigger({ name: "x" }, { metadata: tooMuch }))).toMatchObject({ error: { code: "METADATA_TOO_LARGE", size: JSON.stringify(tooMuch).length, limit: 4096 } });
  });

  it("poll gives up with TimeoutError; cancel ends a waiting run, and poll sees it CANCELED", async () => {
    const handle = await sleepy.trigger({});
    const timedOut = await outcome(runs.poll(handle, { timeoutMs: 300 }));
    expect(timedOut).toMatchObject({ error: { class: "TimeoutError", code: "TIMEOUT" } });
    await expect(runs.poll(handle, { timeoutMs: 1 })).rejects.toBeInstanceOf(TimeoutError);
    expect(await runs.cancel(handle.id)).toEqual({ id: handle.id });
    const canceled = await runs.poll(handle, { timeoutMs: 30_000 });
    expectSame("cancel", { timedOut, canceled: shape(canceled) });
  });

  it("retry resumes a failed run in place; replay starts a new one", async () => {
    const failed = await failing.trigger({});
    const first = await runs.poll(failed, { timeoutMs: 30_000 });
    expect(await runs.retry(failed.id)).toEqual({ id: failed.id });
    const retried = await runs.poll(failed, { timeoutMs: 30_000 });
    expect(retried.attempts).toBeGreaterThan(first.attempts);
    const greeted = await greet.trigger({ name: "again" });
    await runs.poll(greeted, { timeoutMs: 30_000 });
    const replay = await runs.replay(greeted.id);
    expect(replay.id).not.toBe(greeted.id);
    expectSame("retry and replay", { first: shape(first), retried: shape(retried), replayed: shape(await runs.poll(replay.id, { timeoutMs: 30_000 })) });
  });

  it("fork starts a new run that replays the journal before the given step", async () => {
    const original = await greet.trigger({ name: "forked" });
    await runs.poll(original, { timeoutMs: 30_000 });
    const fork = await runs.fork(original.id, { fromSeq: 1 });
    expect(fork.id).not.toBe(original.id);
    const forked = await runs.poll(fork.id, { timeoutMs: 30_000 });
    expect(forked.forkedFrom).toBe(original.id);
    expectSame("fork", { run: shape(forked), zero: await outcome(runs.fork(original.id, { fromSeq: 0 })) });
  });

  it("audit.verify passes an untouched run and names a history row updated by hand; audit.export gives the history as JSON and CSV", async () => {
    const { id } = await audited.trigger(null, { metadata: { owner: "ops" } });
    const run = await runs.poll(id, { timeoutMs: 30_000 });
    expect(run.status).toBe("SUCCESS");
    const intact = await audit.verify({ runId: id });
    expect(intact).toEqual({ runs: 1, verified: 5, unhashed: 0, broken: null });
    expect(await audit.verify({ since: run.createdAt })).toEqual(intact);

    const history = await audit.export(id);
    expect(history.versions.map((v) => v.op ?? v.kind)).toEqual(["trigger", "status", "set", "status", "set"]);
    expect(history.head).toBe(history.versions.at(-1)!.hash);
    const csv = await audit.export(id, { format: "csv" });
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe("table,seq,revision,at,kind,key,status,value,op,metadata,childRunId,hash");
    history.versions.forEach((version, n) => expect(lines[n + 1]!.endsWith(`,${version.hash}`)).toBe(true));

    const edited = history.versions.find((v) => v.op === "set")!;
    await sql(`UPDATE "${schema}".run_metadata_history SET value = '"tampered"' WHERE run_id = $1 AND seq = $2`, [id, edited.seq]);
    const broken = await audit.verify({ runId: id });
    expect(broken.broken).toEqual({
      runId: id, table: "run_metadata_history", seq: edited.seq,
      reason: "its hash does not follow from its content and the previous version's hash: it or a version before it was edited or deleted",
    });
    expectSame("audit", {
      intact, broken: { ...broken, broken: { ...broken.broken, runId: "<run>" } },
      versions: history.versions.map(({ table, seq, kind, key, status, value, op, metadata }) => ({ table, seq, kind, key, status, value, op, metadata })),
      csvLines: lines.length,
      missing: [await outcome(audit.verify({ runId: "run_missing" })), await outcome(audit.export("run_missing")), await outcome(audit.export("run_missing", { format: "csv" }))],
      bad: [await outcome(audit.verify({ runId: id, since: new Date() })), await outcome(audit.verify({ since: new Date("yesterday") }))],
    });
  });

  it("children triggered inside a run go through the engine running it, and wake their parent", async () => {
    const run = await runs.poll(await parent.trigger({ name: "kid" }), { timeoutMs: 30_000 });
    expect(run.output).toEqual({ greeting: "hello kid", sibling: true });
    const children = await runs.list({ taskIdentifier: "contract-greet", limit: 100 });
    expect(children.data.filter((r) => r.parentRunId === run.id)).toHaveLength(2);
    expectSame("children", shape(run));
  });

  it("events start their jobs, whose runs and statuses read back", async () => {
    const event = await client.sendEvent({ name: "contract.event", payload: { n: 21 } });
    const [run] = await client.getEventRuns(event.id);
    const finished = await runs.poll(run!.id, { timeoutMs: 30_000 });
    const statuses = await client.getRunStatuses(run!.id);
    expect(statuses.run).toMatchObject({ id: run!.id, status: "SUCCESS" });
    expectSame("event", { run: shape(finished), statuses: statuses.statuses });
  });

  it("runs.list filters by tag and pages with a cursor", async () => {
    const listTag = `${tag}-list`;
    await greet.batchTrigger([1, 2, 3].map((i) => ({ payload: { name: `n${i}` }, options: { tags: [listTag] } })));
    const page = await runs.list({ tag: listTag, limit: 2 });
    const next = await runs.list({ tag: listTag, limit: 2, cursor: page.nextCursor! });
    expect(page.data.every((run) => run.createdAt instanceof Date)).toBe(true);
    expectSame("list", { sizes: [page.data.length, next.data.length], last: next.nextCursor, tags: [...page.data, ...next.data].map((r) => shape(r).tags) });
  });

  it("a public token reads the runs it is scoped to, and no other", async () => {
    const [mine, other] = await Promise.all([greet.trigger({ name: "mine" }), greet.trigger({ name: "other" })]);
    const token = await auth.createPublicToken({ scopes: { read: { runs: [mine.id] } }, expiresIn: "5m" });
    const read = (id: string) => fetch(`${engine.url}/api/runs/${id}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expectSame("public token", [await read(mine.id), await read(other.id)]);
    expect(await read(mine.id)).toBe(200);
  });

  it("waitpoint tokens are created (once per idempotency key), waited on, completed once, read and listed", async () => {
    const token = await wait.createToken({ tags: [tag], timeout: "1h", idempotencyKey: `contract-wp-${name}` });
    // The same token; its public access token is made anew (another iat).
    expect(await wait.createToken({ idempotencyKey: `contract-wp-${name}` })).toEqual({ ...token, publicAccessToken: expect.any(String), isCached: true });
    expect(new URL(token.url).pathname).toMatch(new RegExp(`^/callbacks/waitpoints/${token.id}/[A-Za-z0-9_-]{43}$`));
    expect(token.publicAccessToken).not.toBe("");
    const handle = await approval.trigger({ token: token.id });
    await until(async () => ((await runs.retrieve(handle)).status === "WAITING" ? true : undefined), 20_000);
    const waiting = await wait.retrieveToken(token.id);
    await wait.completeToken(token.id, { approved: true });
    const finished = await runs.poll(handle, { timeoutMs: 30_000 });
    const record = await wait.retrieveToken(token.id);
    expect(record.runs).toEqual([handle.id]);
    const { data } = await wait.listTokens({ tags: [tag], status: "COMPLETED" });
    const withoutId = (value: object) => JSON.parse(JSON.stringify(value).replaceAll(token.id, "<token>")) as unknown;
    expectSame("waitpoints", withoutId({
      run: shape(finished),
      waiting: { status: waiting.status, output: waiting.output, completedAt: waiting.completedAt },
      record: { status: record.status, output: record.output, tags: record.tags.map((t) => t.replace(/direct|HTTP/, "<backend>")), dates: [record.createdAt, record.completedAt, record.timeoutAt].map((d) => d instanceof Date) },
      listed: data.map((t) => t.id === token.id),
      again: await outcome(wait.completeToken(token.id, { approved: false })),
      missing: await outcome(wait.retrieveToken("waitpoint_contract_missing")),
      missingComplete: await outcome(wait.completeToken("waitpoint_contract_missing", 1)),
    }));
  });

  it("subscribeToRunUpdates pushes the journal and the run until it finishes; subscribeToAllRuns each run that changes", async () => {
    const backend = await getBackend();
    const abort = new AbortController();
    const changed = new Set<string>();
    const following = (async () => {
      for await (const run of backend.subscribeToAllRuns({ signal: abort.signal })) changed.add(run.id);
    })();
    const token = await wait.createToken({});
    const handle = await approval.trigger({ token: token.id });
    const updates: RunUpdate[] = [];
    for await (const update of backend.subscribeToRunUpdates(handle.id)) {
      updates.push(update);
      if (update.type === "run" && update.run.status === "WAITING") await wait.completeToken(token.id, { approved: true });
    }
    await until(async () => (changed.has(handle.id) ? true : undefined), 10_000);
    abort.abort();
    await following;
    const last = updates.at(-1)!;
    expect(last).toMatchObject({ type: "run", run: { id: handle.id, status: "SUCCESS", output: { approved: true } } });
    const entries = updates.flatMap((u) => (u.type === "journal" ? [u.entry] : []));
    expect(entries.every((e) => e.startedAt instanceof Date && e.finishedAt instanceof Date)).toBe(true);
    expectSame("subscribe", { entries: entries.map((e) => [e.seq, e.kind, e.output]), last: last.type === "run" && { ...shape(last.run), payload: "" } });
    expectSame("subscribe to a missing run", await outcome((async () => {
      for await (const update of backend.subscribeToRunUpdates("run_nosuchrun")) void update;
    })()));
  });

  it("schedules are created, listed, paused, resumed and deleted", async () => {
    const key = `contract-schedule-${name}`;
    const created = await schedules.create({ task: "contract-greet", cron: "0 0 1 1 *", deduplicationKey: key, payload: { name: "yearly" } });
    expect(created.createdAt).toBeInstanceOf(Date);
    const listed = await schedules.list({ task: "contract-greet" });
    expect(listed.find((s) => s.id === created.id)).toEqual(created);
    expect(await schedules.deactivate(created.id)).toMatchObject({ id: created.id, active: false, nextRun: null });
    const resumed = await schedules.activate(created.id);
    expect(resumed).toMatchObject({ id: created.id, active: true });
    expect(resumed.nextRun).toBeInstanceOf(Date);
    expect(await schedules.del(created.id)).toEqual({ id: created.id });
    const again = await outcome(schedules.del(created.id));
    expect(again).toMatchObject({ error: { scheduleId: created.id } });
    expectSame("schedules", { created: { ...created, id: "", deduplicationKey: "", createdAt: 0, updatedAt: 0 }, again: { ...again, error: { ...("error" in again ? again.error : {}), scheduleId: "" } } });
  });
});

describe("configure", () => {
  afterAll(() => disconnect());

  it("refuses baseUrl together with a database", () => {
    expect(() => configure({ baseUrl: "http://127.0.0.1:3030", databaseUrl: TEST_DATABASE_URL })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTIONS" }),
    );
  });

  it("over HTTP with a wrong secret key is refused as unauthorized", async () => {
    configure({ baseUrl: engine.url!, secretKey: "not-the-secret-key-0123456789" });
    await expect(runs.list()).rejects.toMatchObject({ name: "DurablyError", code: "UNAUTHORIZED" });
  });
});

describe("tasks, typed by a task's type alone", () => {
  it("checks the id and payload and types the handle's run", () => {
    // Never called: these lines are checked by tsc, which runs over the tests.
    const typed = async () => {
      const handle = await tasks.trigger<typeof greet>("contract-greet", { name: "Ada" });
      expectTypeOf(handle).toEqualTypeOf<RunHandle<{ name: string }, string>>();
      expectTypeOf((await runs.retrieve(handle)).output).toEqualTypeOf<string | undefined>();
      expectTypeOf((await runs.retrieve<typeof greet>(handle.id)).payload).toEqualTypeOf<{ name: string }>();
      // @ts-expect-error the payload is checked against the task's
      await tasks.trigger<typeof greet>("contract-greet", { name: 5 });
      // @ts-expect-error so is the id
      await tasks.trigger<typeof greet>("contract-gret", { name: "Ada" });
      // @ts-expect-error and every batch item
      await tasks.batchTrigger<typeof greet>("contract-greet", [{ payload: { nom: "Ada" } }]);
      expectTypeOf(await tasks.trigger("any-task", { anything: true })).toEqualTypeOf<RunHandle<unknown, unknown>>();
    };
    expect(typed).toBeTypeOf("function");
  });
});
