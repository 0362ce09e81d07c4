// metadata.parent / metadata.root: a child run's change to an ancestor's metadata is atomic,
// journaled in the child (a replay never applies it twice), kept in the ancestor's history with
// the child that made it, and pushed live to the ancestor's followers.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { auth, metadata, runs, task } from "durably";
import { connectBackend } from "../sdk/backend.ts";
import { TEST_DATABASE_URL, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { readSse } from "./helpers/sse.ts";
import { FakeEventSource } from "./helpers/react.ts";
import { serviceOf } from "../engine/internal.ts";
import { setFaultHandler, type FaultPoint } from "../engine/debug/fault-points.ts";
import { counterChild, counterParent } from "./fixtures/ancestor-metadata-task.ts";
import { createHttpClient, type DurablyHttpClient } from "../react/client/http-client.ts";
import { createLiveUpdates } from "../react/client/live-updates.ts";
import { durablyKeys } from "../react/client/query-keys.ts";
import { fetchRun, fetchRunMetadataHistory } from "../react/queries.ts";
import type { DurablyContextValue } from "../react/context.ts";
import type { MetadataHistory, Run } from "../react/types.ts";

const SECRET = "test-secret-key-0123456789";

afterEach(() => setFaultHandler(undefined));

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("metadata.parent", () => {
  it("100 children incrementing one counter of their parent, on two engine processes, end at exactly 100, and the parent's own writes keep it", async () => {
    const schema = uniqueSchema("ancestor_md");
    const engine = await startTestEngine("ancestor_md", { schema, tasks: [counterChild, counterParent], concurrency: 4 });
    const worker = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/ancestor-metadata-worker.ts", import.meta.url)), TEST_DATABASE_URL, schema], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await once(worker.stdout!, "data");
      const { id } = await counterParent.trigger(100);
      const run = await runs.poll(id, { timeoutMs: 90_000 });
      expect(run.error).toBeNull();
      expect(run.status).toBe("SUCCESS");
      expect(run.metadata).toEqual({ total: 100, done: 100, phase: "done" });
      expect(new Set(run.output as number[])).toEqual(new Set([process.pid, worker.pid]));

      const children = await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE parent_run_id = $1`, [id]);
      expect(children).toHaveLength(100);
      const history = await serviceOf(engine).getMetadataHistory(id);
      const byChildren = history.filter((change) => change.childRunId !== undefined);
      expect(new Set(byChildren.map((change) => change.childRunId))).toEqual(new Set(children.map((child) => child.id)));
      expect(byChildren.map((change) => [change.op, change.key, change.value, change.metadata.done])).toEqual(
        Array.from({ length: 100 }, (_, n) => ["increment", "done", 1, n + 1]),
      );
      expect(history.at(-1)).toMatchObject({ op: "set", key: "phase", metadata: { total: 100, done: 100, phase: "done" } });
      // The metadata filters' copy (migration 46) holds every finished run's metadata, whoever wrote it last.
      expect(await sql(`SELECT id FROM "${schema}".runs WHERE status <> 'EXECUTING' AND coalesce(metadata_search, '{}') <> metadata`)).toEqual([]);
      expect(await sql(`SELECT id FROM "${schema}".runs WHERE metadata_search ->> 'phase' = 'done'`)).toEqual([{ id }]);
      expect(history.at(-1)!.childRunId).toBeUndefined();

      const journal = await serviceOf(engine).getJournal(children[0]!.id);
      expect(journal.map((entry) => [entry.kind, entry.key])).toEqual([["ancestorMetadata", "parent.increment:done"]]);
    } finally {
      worker.kill("SIGTERM");
      await once(worker, "exit");
    }
  }, 120_000);

  it("is not applied again by the replay of a child whose execution crashed after the change committed", async () => {
    const child = task({ id: "crashing-child", run: async () => (await metadata.parent.increment("done", 5), "ok") });
    const parent = task({ id: "crashing-parent", run: async () => child.triggerAndWait(null) });
    let crashes = 0;
    setFaultHandler((point: FaultPoint) => {
      if (point !== "after-commit:writeAncestorMetadata" || crashes > 0) return;
      crashes++;
      throw Object.assign(new Error("injected crash after the change committed"), { code: "57P01" });
    });
    const engine = await startTestEngine("ancestor_md_crash", { tasks: [child, parent], recoverySeconds: 1 });
    const { id } = await parent.trigger(null);
    const run = await runs.poll(id, { timeoutMs: 30_000 });
    expect(crashes).toBe(1);
    expect(run.metadata).toEqual({ done: 5 });
    const history = await serviceOf(engine).getMetadataHistory(id);
    expect(history.map((change) => [change.op, change.value])).toEqual([["increment", 5]]);
  });

  it("refuses a change the parent's metadata cannot take, without journaling it", async () => {
    const child = task({
      id: "refused-child",
      retry: { maxAttempts: 1 },
      run: async () => {
        await metadata.parent.increment("label").catch((error: Error) => metadata.set("refused", error.message));
        await metadata.parent.set("big", "x".repeat(5000)).catch((error: Error & { code?: string }) => metadata.set("tooLarge", error.code ?? "?"));
      },
    });
    const parent = task({ id: "refused-parent", run: async () => (await metadata.set("label", "text"), await child.triggerAndWait(null)) });
    const engine = await startTestEngine("ancestor_md_refused", { tasks: [child, parent] });
    const { id } = await parent.trigger(null);
    expect((await runs.poll(id, { timeoutMs: 20_000 })).metadata).toEqual({ label: "text" });
    const [{ id: childId }] = (await sql<{ id: string }>(`SELECT id FROM "${engine.options.schema}".runs WHERE parent_run_id = $1`, [id])) as [{ id: string }];
    const childRun = await runs.retrieve(childId);
    expect(childRun.metadata.refused).toMatch(/needs numbers/);
    expect(childRun.metadata.tooLarge).toBe("METADATA_TOO_LARGE");
    const journal = await serviceOf(engine).getJournal(childId);
    expect(journal.map((entry) => entry.kind)).toEqual(["metadata", "metadata"]);
  });
});

describe("metadata.root", () => {
  const leafGo = gate();
  const leaf = task({
    id: "md-leaf",
    run: async () => {
      await leafGo.opened;
      await metadata.root.append("log", "leaf");
      await metadata.parent.set("leafDone", true);
    },
  });
  const mid = task({
    id: "md-mid",
    run: async () => {
      await leaf.triggerAndWait(null);
      await metadata.parent.set("mid", "ok");
    },
  });
  const root = task({
    id: "md-root",
    run: async () => {
      // A run without a parent is its own root, and has no parent to change.
      await metadata.root.increment("self");
      await metadata.parent.set("nobody", true);
      const self = metadata.get("self") as number;
      await mid.triggerAndWait(null);
      return self;
    },
  });

  it("reaches the top of the tree, and each descendant's change is pushed live to the root's followers, marked with that descendant", async () => {
    const engine = await startTestEngine("ancestor_md_root", { tasks: [leaf, mid, root], http: { port: 0 }, secretKey: SECRET });
    const { id } = await root.trigger(null);
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 10_000);

    // The browser: its hooks' snapshots of the root run and its metadata history, and the shared stream.
    const token = await auth.createPublicToken({ scopes: { read: { runs: [id] } } });
    const direct = createHttpClient({ baseUrl: engine.url!, accessToken: token });
    const requests: string[] = [];
    const api: DurablyHttpClient = {
      ...direct,
      getRun: (...args) => (requests.push("run"), direct.getRun(...args)),
      getRunMetadataHistory: (...args) => (requests.push("history"), direct.getRunMetadataHistory(...args)),
    };
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const keys = durablyKeys(api.baseUrl);
    const live = createLiveUpdates({ queryClient, api, keys, createEventSource: (url) => new FakeEventSource(url) });
    const context: DurablyContextValue = { api, keys, queryClient, live };
    const observers = [
      new QueryObserver<Run>(queryClient, { queryKey: keys.run(id), queryFn: fetchRun(context, id), staleTime: 60_000 }),
      new QueryObserver<MetadataHistory>(queryClient, { queryKey: keys.runMetadataHistory(id), queryFn: fetchRunMetadataHistory(context, id), staleTime: 60_000 }),
    ];
    const unsubscribe = observers.map((observer) => observer.subscribe(() => undefined));
    await until(async () => (observers.every((o) => o.getCurrentResult().data !== undefined) ? true : undefined), 10_000);
    const stopWatching = live.watchRun(id);
    // The connection opens once the hooks that mount together have all joined: a microtask later.
    await Promise.resolve();
    const eventSource = FakeEventSource.all.at(-1)!;
    requests.length = 0;

    // The real stream, opened before the leaf writes: its changes arrive as `metadata` events.
    const { messages } = await readSse(eventSource.url, {
      onOpen: leafGo.open,
      stop: (_, all) => all.filter((m) => m.event === "metadata").length === 2,
    });
    const pushed = messages.filter((m) => m.event === "metadata");
    const [leafRow] = (await sql<{ id: string }>(`SELECT id FROM "${engine.options.schema}".runs WHERE task_id = 'md-leaf'`)) as [{ id: string }];
    const [midRow] = (await sql<{ id: string }>(`SELECT id FROM "${engine.options.schema}".runs WHERE task_id = 'md-mid'`)) as [{ id: string }];
    expect(pushed.map((m) => JSON.parse(m.data).change)).toMatchObject([
      { op: "append", key: "log", value: "leaf", childRunId: leafRow.id, metadata: { self: 1, log: ["leaf"] } },
      { op: "set", key: "mid", value: "ok", childRunId: midRow.id, metadata: { self: 1, log: ["leaf"], mid: "ok" } },
    ]);
    for (const message of messages) eventSource.emit(message.event, JSON.parse(message.data), message.id);
    const run = queryClient.getQueryData<Run>(keys.run(id))!;
    expect(run.metadata).toEqual({ self: 1, log: ["leaf"], mid: "ok" });
    const history = queryClient.getQueryData<MetadataHistory>(keys.runMetadataHistory(id))!;
    expect(history.changes).toEqual((await direct.getRunMetadataHistory(id)).changes);
    expect(requests).toEqual([]);

    expect((await runs.poll(id, { timeoutMs: 20_000 })).output).toBe(1);
    expect((await runs.retrieve(midRow.id)).metadata).toEqual({ leafDone: true });
    const rootHistory = await serviceOf(engine).getMetadataHistory(id);
    expect(rootHistory.map((change) => [change.key, change.childRunId])).toEqual([["self", undefined], ["log", leafRow.id], ["mid", midRow.id]]);
    stopWatching();
    for (const off of unsubscribe) off();
    queryClient.clear();
  });
});

describe("a run's updates through the HTTP backend (durably runs watch)", () => {
  it("carry a child's change to the run's metadata as the run, while the run still waits for the child", async () => {
    const seen = gate();
    const child = task({ id: "watched-child", run: async () => (await metadata.parent.set("fromChild", 1), await seen.opened) });
    const parent = task({ id: "watched-parent", run: async () => child.triggerAndWait(null) });
    const engine = await startTestEngine("ancestor_md_http", { tasks: [child, parent], http: { port: 0 }, secretKey: SECRET });
    const http = await connectBackend({ baseUrl: engine.url!, secretKey: SECRET });
    try {
      const { id } = await parent.trigger(null);
      let sawIt = false;
      for await (const update of http.subscribeToRunUpdates(id)) {
        if (update.type === "run" && update.run.status === "WAITING" && update.run.metadata.fromChild === 1 && !sawIt) {
          sawIt = true;
          seen.open();
        }
      }
      expect(sawIt).toBe(true);
    } finally {
      seen.open();
      await http.close();
    }
  });
});
