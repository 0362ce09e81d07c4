import type { QueryResultRow } from "pg";
import type { Backend, RunUpdate, SendEventRequest, TriggerRequest } from "../sdk/backend.ts";
import type { BulkRequest } from "../sdk/backend-types.ts";
import { DurablyError, EventNotFoundError, InvalidPayloadError, RunNotFoundError, TaskNotFoundError, TimeoutError } from "../sdk/errors.ts";
import type { BulkAction, BulkDryRun, CreateScheduleOptions, EventRecord, JournalEntry, ListRunsFilter, MetadataChange, Run, RunHead, RunList, RunStatus, RunStatuses, ScheduleRecord, TaskInfo } from "../sdk/types.ts";
import { isFinalRunStatus } from "../wire/index.ts";
import { toEvent, toJournalEntry, toMetadataChange, toRun, toStatus, type JournalRow, type RunReadRow, type StatusRow } from "./db/rows.ts";
import { keyedId, newId } from "./ids.ts";
import { cancelRun } from "./orchestration/cancel-run.ts";
import { forkRun } from "./orchestration/fork-run.ts";
import { debounceRun } from "./orchestration/debounce-run.ts";
import { RunAnnouncements } from "./orchestration/announce-runs.ts";
import { checkId, insertReadyRuns, insertRun, insertRunsWithoutKeys, prepareTrigger, type PendingJob, type RunInsert } from "./orchestration/insert-run.ts";
import { Schedules, type SchedulesDeps } from "./schedules/schedules.ts";
import { followRun, followRuns, type FollowDeps } from "./notify/follow-run.ts";
import type { Listener } from "./notify/listener.ts";
import { BatchNotFoundError, RunFeeds } from "./notify/run-feeds.ts";
import { RunWaiters } from "./notify/run-waiters.ts";
import { onClient } from "./jobs/job-sender.ts";
import { encode } from "./serialize.ts";
import { audienceOf, createPublicToken, createTriggerToken, type PublicTokenRequest, type TokenSigner, type TriggerTokenRequest } from "./auth/tokens.ts";
import { countRuns, listRuns, type RunCountsResult } from "./run-list.ts";
import { Batcher } from "./db/batcher.ts";
import type { CreateWaitTokenOptions, ListWaitTokensFilter, WaitpointList, WaitpointRecord, WaitToken } from "../sdk/waitpoints.ts";
import { Waitpoints } from "./waitpoints/waitpoints.ts";
import { StreamReads } from "./streams/stream-reads.ts";
import type { CommittedChunks } from "./streams/committed-chunks.ts";
import type { CommittedEntries } from "./notify/committed-entries.ts";
import type { HeldRuns } from "./notify/held-runs.ts";
import type { CommittedEnds } from "./notify/committed-ends.ts";
import type { StreamEvent } from "../wire/index.ts";
import { BulkActions } from "./bulk/bulk-actions.ts";
import { retryRunIn } from "./bulk/act-on-run.ts";
import type { Logger } from "./logger.ts";
import { callerTraceContext } from "../sdk/tracing/trace-context.ts";
import type { PurgeResult, PurgeRunsOptions } from "../sdk/types.ts";
import { purgeRuns } from "./retention/purge-runs.ts";
import type { AuditHistory, AuditVerifyResult } from "../wire/index.ts";
import type { AuditVerifyFilter } from "../sdk/backend-types.ts";
import { verifyAudit } from "./audit/verify.ts";
import { auditCsv, auditHistory } from "./audit/export.ts";

const headOf = (run: RunHead): RunHead => ({ id: run.id, status: run.status, revision: run.revision });

export interface ServiceDeps extends SchedulesDeps {
  /** The engine's `retention.keepStatusHistory` (ms), for a purge that names none. */
  keepHistoryMs?: number | undefined;
  /** Signs public access tokens; without it none can be made. */
  secretKey?: string | undefined;
  /** Public tokens name it as their audience, so another schema's engine refuses them. */
  schema: string;
  /** For `pollRun`; without it polling falls back to a timer. */
  listener?: () => Promise<Listener>;
  /** Stream chunks this process's runs committed, handed to its stream followers. */
  committedChunks?: CommittedChunks | undefined;
  /** Journal entries this process's runs committed, handed to its run subscriptions. */
  committedEntries?: CommittedEntries | undefined;
  /** Announces runs triggered here; an engine shares it with its journal writes (`RunAnnouncements.notified`). */
  announcements?: RunAnnouncements | undefined;
  /** Runs this process's executions ended, handed to its `pollRun` waiters. */
  committedEnds?: CommittedEnds | undefined;
  /** Runs this process's worker holds: a poll of one need not read it before it is let go. */
  heldRuns?: HeldRuns | undefined;
  /** Releases what a standalone backend opened (`connect()`); engines close their own. */
  close?: () => Promise<void>;
  /** Where waitpoint callback URLs point (the `publicUrl` option, else the engine's HTTP address). */
  publicUrl?: () => string | undefined;
  /** Where background work (bulk actions) reports what went wrong. */
  logger?: Logger | undefined;
  /** After this long without a heartbeat a bulk action is taken over (its process died). */
  staleAfterSeconds?: number | undefined;
}

/**
 * A subscriber waits on notifications alone, and a direct backend's LISTEN connection lets Node
 * exit (a script that is done should): this timer keeps the process up while one waits.
 */
const holdProcess = () => setInterval(() => undefined, 2 ** 30);

/** Where callback URLs point when nothing says: `durably start`'s default address. */
const DEFAULT_PUBLIC_URL = "http://127.0.0.1:3030";

/** Everything a backend or the HTTP API can ask of the engine, on top of the SQL statements. */
export class Service implements Backend {
  readonly schedules: Schedules;
  readonly waitpoints: Waitpoints;
  readonly streams: StreamReads;
  readonly bulk: BulkActions;
  readonly #triggers: Batcher<TriggerRequest, { id: string; isCached: boolean }>;
  readonly #announcements: RunAnnouncements;
  /**
   * Reads of whole runs made together (a caller's polls, woken by their runs' ends) share one
   * statement: a backend awaiting a thousand results made a thousand round trips.
   */
  readonly #reads: Batcher<string, RunReadRow | undefined>;
  #waiters: Promise<RunWaiters> | undefined;
  #feeds: RunFeeds | undefined;

  constructor(private readonly deps: ServiceDeps) {
    this.schedules = new Schedules(deps);
    this.waitpoints = new Waitpoints({
      ...deps,
      signer: deps.secretKey ? { secretKey: deps.secretKey, audience: audienceOf(deps.schema) } : undefined,
      publicUrl: () => deps.publicUrl?.() ?? DEFAULT_PUBLIC_URL,
    });
    this.streams = new StreamReads(deps);
    this.bulk = new BulkActions(deps);
    this.#triggers = new Batcher((requests) => this.#insertTriggers(requests), { maxBatch: 100, concurrency: 2 });
    this.#announcements = deps.announcements ?? new RunAnnouncements(deps.db, deps.sql, deps.channels);
    this.#reads = new Batcher((ids) => this.#readRuns(ids), { maxBatch: 100, concurrency: 2 });
  }

  /** Triggers made together (a burst of requests) share one transaction and commit. */
  trigger(request: TriggerRequest): Promise<{ id: string; isCached: boolean }> {
    return this.#triggers.run(withCallerTrace(request));
  }

  batchTrigger(requests: TriggerRequest[]): Promise<{ id: string; isCached: boolean }[]> {
    return this.#insertTriggers(requests.map(withCallerTrace));
  }

  /** `batchId`: the runs are a batch of that id (`triggerBatch`), recorded in their transaction. */
  async #insertTriggers(requests: TriggerRequest[], batchId?: string): Promise<{ id: string; isCached: boolean }[]> {
    const prepared: RunInsert[] = [];
    for (const request of requests) {
      checkId(request.taskId, "task id");
      const version = request.taskVersion ?? (await this.#latestVersion(request.taskId));
      prepared.push(prepareTrigger(request, version, this.deps));
    }
    const ready = batchId === undefined ? await insertReadyRuns(this.deps, prepared, this.#announcements) : undefined;
    if (ready) return ready.map((id) => ({ id, isCached: false }));
    return this.deps.db.transaction(async (client) => {
      const results: { id: string; isCached: boolean }[] = new Array(prepared.length);
      const jobs: PendingJob[] = [];
      const unkeyed = prepared.flatMap((run, i) => (run.idempotencyKey === null && !run.debounce ? [i] : []));
      const ids = await insertRunsWithoutKeys(this.deps, client, unkeyed.map((i) => prepared[i]!), jobs);
      unkeyed.forEach((i, n) => (results[i] = { id: ids[n]!, isCached: false }));
      for (const [i, run] of prepared.entries()) {
        if (run.debounce) results[i] = await debounceRun(this.deps, client, { ...run, debounce: run.debounce }, jobs);
        else if (run.idempotencyKey !== null) results[i] = await insertRun(this.deps, client, run, jobs);
      }
      await this.deps.scheduler.sendMany(onClient(client), jobs);
      if (batchId !== undefined) await this.deps.db.query(this.deps.sql.batches.insert, [batchId, results.map((r) => r.id)], client);
      return results;
    });
  }

  /**
   * A batch: its runs, all or none, and an id to follow them by (`subscribeToBatch`). A keyed
   * batch (a run's, keyed by its place in the run) has an id made from the key: the run's code,
   * made again after a crash, gets the same batch back, its runs found by their own keys.
   */
  async triggerBatch(requests: TriggerRequest[], options: { idempotencyKey?: string } = {}): Promise<{ batchId: string; runs: { id: string; isCached: boolean }[] }> {
    if (options.idempotencyKey !== undefined) checkId(options.idempotencyKey, "batch idempotency key");
    const batchId = options.idempotencyKey === undefined ? newId("batch") : keyedId("batch", options.idempotencyKey);
    return { batchId, runs: await this.#insertTriggers(requests.map(withCallerTrace), batchId) };
  }

  subscribeToRun(id: string): AsyncIterableIterator<Run> {
    checkId(id, "run id");
    return this.feeds.run(id);
  }

  subscribeToRunsWithTag(tag: string): AsyncIterableIterator<Run> {
    checkId(tag, "tag");
    return this.feeds.tag(tag);
  }

  subscribeToBatch(batchId: string): AsyncIterableIterator<Run> {
    checkId(batchId, "batch id");
    return this.feeds.batch(batchId);
  }

  /** The batch's runs as they are now. */
  async batchRuns(batchId: string): Promise<Run[]> {
    checkId(batchId, "batch id");
    const { db, sql } = this.deps;
    const ids = (await db.query<{ run_ids: string[] }>(sql.batches.runIds, [batchId])).rows[0]?.run_ids;
    if (!ids) throw new BatchNotFoundError(batchId);
    const { rows } = await db.query<RunReadRow>(sql.feed.runs, [ids, null]);
    const byId = new Map(rows.map((row) => [row.id, toRun(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** Records a single-use token as spent, committed; false when it was spent already. */
  async spendToken(tokenId: string, expiresAt: Date): Promise<boolean> {
    return (await this.deps.db.query(this.deps.sql.batches.spendToken, [tokenId, expiresAt])).rows.length > 0;
  }

  /** Whether the run belongs to the batch: what a token scoped to the batch may read. */
  async batchHasRun(batchId: string, runId: string): Promise<boolean> {
    return (await this.deps.db.query(this.deps.sql.batches.contains, [batchId, runId])).rows.length > 0;
  }

  /**
   * Whose status and metadata history `id` is: the run's, or a purged run's whose history is kept
   * (`keepStatusHistory`), as a public token's scopes see it; undefined when neither is there.
   */
  async historyOwner(id: string): Promise<{ id: string; tags: string[]; taskIdentifier: string } | undefined> {
    checkId(id, "run id");
    const { rows: [row] } = await this.deps.db.query<{ id: string; task_id: string; tags: string[] }>(this.deps.sql.keptHistories.owner, [id]);
    return row && { id: row.id, tags: row.tags, taskIdentifier: row.task_id };
  }

  /** Made on the first subscription, which opens a direct backend's LISTEN connection. */
  get feeds(): RunFeeds {
    const { listener, channels, db, sql } = this.deps;
    if (!listener) throw new DurablyError("NO_LISTENER", "Subscriptions need a LISTEN connection, which this backend does not have");
    return (this.#feeds ??= new RunFeeds({
      listener,
      channel: channels.run,
      readRuns: async (ids, tag) => (await db.query<RunReadRow>(sql.feed.runs, [ids, tag])).rows.map(toRun),
      tagged: async (tag, limit) => (await db.query<RunReadRow>(sql.feed.tagged, [tag, limit])).rows.map(toRun),
      batchRunIds: async (batchId) => (await db.query<{ run_ids: string[] }>(sql.batches.runIds, [batchId])).rows[0]?.run_ids,
      committed: this.deps.committedEntries,
    }));
  }

  async sendEvent(request: SendEventRequest): Promise<{ id: string; runs: string[] }> {
    const { db, sql } = this.deps;
    if (typeof request.name !== "string" || request.name.length === 0) throw new InvalidPayloadError("An event needs a name");
    checkId(request.name, "event name");
    if (request.id !== undefined) checkId(request.id, "event id");
    const eventId = request.id ?? newId("evt");
    const payload = encode(request.payload, "event payload", this.deps.maxPayloadBytes);
    return db.transaction(async (client) => {
      const inserted = await db.query(sql.events.insert, [eventId, request.name, payload], client);
      if (inserted.rows.length === 0) {
        const runs = await db.query<{ id: string }>(sql.runs.byEvent, [eventId], client);
        return { id: eventId, runs: runs.rows.map((r) => r.id) };
      }
      const jobs = await db.query<{ id: string; version: string }>(sql.events.jobsFor, [request.name], client);
      const runIds: string[] = [];
      for (const job of jobs.rows) {
        const run = prepareTrigger({ taskId: job.id, payload: undefined }, job.version, this.deps);
        const { id } = await insertRun(this.deps, client, { ...run, eventId, payload });
        runIds.push(id);
      }
      return { id: eventId, runs: runIds };
    });
  }

  async retrieveRun(id: string): Promise<Run> {
    return toRun(await this.#runRow(id));
  }

  listRuns(filter: ListRunsFilter): Promise<RunList> {
    return listRuns(this.deps.db, this.deps.sql, filter);
  }

  countRuns(filter: ListRunsFilter): Promise<RunCountsResult> {
    return countRuns(this.deps.db, this.deps.sql, this.deps.schema, filter);
  }

  /** Run and statuses from one snapshot, so `run.revision` says exactly what the statuses include. */
  async getRunStatuses(id: string): Promise<RunStatuses> {
    const { run, rows } = await this.#snapshot<StatusRow>(id, this.deps.sql.statuses.ofRun, true);
    return { run: { ...headOf(run), output: run.output, wait: run.wait }, statuses: rows.map(toStatus) };
  }

  async getJournal(id: string): Promise<JournalEntry[]> {
    return (await this.getJournalSnapshot(id)).entries;
  }

  /** The journal and the run's state from one snapshot: a reader that sees the run finished knows it has every entry. */
  async getJournalSnapshot(id: string): Promise<{ run: RunHead; entries: JournalEntry[] }> {
    const { run, rows } = await this.#snapshot<JournalRow>(id, this.deps.sql.journal.list);
    return { run: headOf(run), entries: rows.map(toJournalEntry) };
  }

  async getMetadataHistory(id: string): Promise<MetadataChange[]> {
    return (await this.getMetadataHistorySnapshot(id)).changes;
  }

  /** The metadata history and the run's state from one snapshot, as `getJournalSnapshot`. */
  async getMetadataHistorySnapshot(id: string): Promise<{ run: RunHead; changes: MetadataChange[] }> {
    const { run, rows } = await this.#snapshot<Parameters<typeof toMetadataChange>[0]>(id, this.deps.sql.metadata.history, true);
    return { run: headOf(run), changes: rows.map(toMetadataChange) };
  }

  async getEvent(id: string): Promise<EventRecord & { runs: Run[] }> {
    checkId(id, "event id");
    const { rows } = await this.deps.db.query<Parameters<typeof toEvent>[0]>(this.deps.sql.events.get, [id]);
    if (!rows[0]) throw new EventNotFoundError(id);
    const runs = await this.deps.db.query<RunReadRow>(this.deps.sql.runs.byEvent, [id]);
    return { ...toEvent(rows[0]), runs: runs.rows.map(toRun) };
  }

  async listTasks(): Promise<TaskInfo[]> {
    const { rows } = await this.deps.db.query<{ id: string; version: string; kind: "task" | "job"; event_name: string | null }>(this.deps.sql.events.listTasks);
    return rows.map((r) => ({ id: r.id, version: r.version, kind: r.kind, eventName: r.event_name }));
  }

  /** Resumes a failed or canceled run: completed steps replay, the failed step runs again. */
  async retryRun(id: string): Promise<{ id: string }> {
    const run = await this.#runRow(id);
    await this.deps.db.transaction((client) => retryRunIn(this.deps, client, id, run.status));
    return { id };
  }

  /** Starts the same task again with the same payload, from an empty journal. */
  async replayRun(id: string): Promise<{ id: string }> {
    const run = toRun(await this.#runRow(id));
    const history = await this.getMetadataHistory(id);
    const initial = history.find((change) => change.op === "trigger")?.metadata ?? {};
    const { id: newRunId } = await this.trigger({ taskId: run.taskIdentifier, payload: run.payload, options: { metadata: initial, tags: run.tags } });
    return { id: newRunId };
  }

  /** Cancels the run and, cascading, every unfinished run it started. */
  async cancelRun(id: string): Promise<{ id: string }> {
    await this.#runRow(id);
    await cancelRun(this.deps, id);
    return { id };
  }

  async forkRun(id: string, options: { fromSeq: number }): Promise<{ id: string }> {
    const original = await this.#runRow(id);
    const history = await this.getMetadataHistory(id);
    const initial = history.find((change) => change.op === "trigger")?.metadata ?? {};
    return forkRun(this.deps, original, initial, options.fromSeq);
  }

  bulkAction(request: BulkRequest): Promise<BulkAction | BulkDryRun> {
    return this.bulk.create(request);
  }

  retrieveBulkAction(id: string): Promise<BulkAction> {
    return this.bulk.retrieve(id);
  }

  async *followBulkAction(id: string, options: { signal?: AbortSignal | undefined } = {}): AsyncGenerator<BulkAction> {
    const { listener } = await this.#followDeps();
    const hold = holdProcess();
    try {
      yield* this.bulk.follow(listener, id, options.signal);
    } finally {
      clearInterval(hold);
    }
  }

  purgeRuns(options: PurgeRunsOptions): Promise<PurgeResult> {
    return purgeRuns(this.deps, options, this.deps.keepHistoryMs);
  }

  async verifyAudit(filter: AuditVerifyFilter): Promise<AuditVerifyResult> {
    if (filter.runId !== undefined && filter.since !== undefined) {
      throw new InvalidPayloadError("runId and since go apart: a run, or the runs created since a date");
    }
    if (filter.since !== undefined && !(filter.since instanceof Date && !Number.isNaN(filter.since.getTime()))) {
      throw new InvalidPayloadError("since must be a valid Date");
    }
    const result = await verifyAudit(this.deps.db, this.deps.sql, filter);
    if (filter.runId !== undefined && result.runs === 0) throw new RunNotFoundError(filter.runId);
    return result;
  }

  async exportAudit(runId: string): Promise<AuditHistory> {
    const history = await auditHistory(this.deps.db, this.deps.sql, runId);
    if (!history) throw new RunNotFoundError(runId);
    return history;
  }

  async exportAuditCsv(runId: string): Promise<string> {
    return auditCsv((await this.exportAudit(runId)).versions);
  }

  createSchedule(options: CreateScheduleOptions): Promise<ScheduleRecord> {
    return this.schedules.create(options);
  }

  listSchedules(filter: { task?: string } = {}): Promise<ScheduleRecord[]> {
    return this.schedules.list(filter);
  }

  deleteSchedule(id: string): Promise<{ id: string }> {
    return this.schedules.delete(id);
  }

  setScheduleActive(id: string, active: boolean): Promise<ScheduleRecord> {
    return this.schedules.setActive(id, active);
  }

  async *followStream(runId: string, key: string, options: { after: number; signal?: AbortSignal }): AsyncGenerator<StreamEvent> {
    for await (const event of this.streams.follow(runId, key, { after: options.after, resets: undefined }, options.signal)) {
      if (event.type !== "chunks") yield event;
      else for (const chunk of event.chunks) yield { type: "chunk", index: chunk.index, data: JSON.parse(chunk.text) };
    }
  }

  async pollRun(id: string, timeoutMs: number): Promise<Run> {
    checkId(id, "run id");
    const deadline = Date.now() + timeoutMs;
    const waiters = await this.#runWaiters();
    for (;;) {
      // Every step of the run notifies; only the notification of its end, which says so, wakes
      // the waiter to read it. Waiting starts before the read, so an end right after it is heard.
      const waiting = waiters?.wait(id);
      let timer: NodeJS.Timeout | undefined;
      try {
        // The whole run, read at most twice (now, and when its end is heard): it is the result.
        // A run the worker here holds is not read now: its end, or its letting go, wakes the waiter.
        const run = waiting && this.deps.heldRuns?.holds(id) ? undefined : await this.retrieveRun(id);
        if (run && isFinalRunStatus(run.status)) return run;
        const left = deadline - Date.now();
        if (left <= 0) throw new TimeoutError(`Run ${id} did not finish within ${timeoutMs} ms (it is ${run?.status ?? "executing"})`);
        // Without a listener nothing wakes the waiter: it reads again every 250 ms.
        const timeUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waiting ? left : Math.min(left, 250))));
        // An end in this process hands over the finished run: no second read.
        const ended = await (waiting ? Promise.race([waiting.woken, timeUp]) : timeUp);
        if (ended) return ended;
      } finally {
        waiting?.stop();
        clearTimeout(timer);
      }
    }
  }

  async *subscribeToRunUpdates(id: string, options: { signal?: AbortSignal | undefined } = {}): AsyncGenerator<RunUpdate> {
    checkId(id, "run id");
    const deps = await this.#followDeps();
    const hold = holdProcess();
    try {
      yield* followRun(deps, id, options.signal);
    } finally {
      clearInterval(hold);
    }
  }

  async *subscribeToAllRuns(options: { signal?: AbortSignal | undefined } = {}): AsyncGenerator<Run> {
    const deps = await this.#followDeps();
    const hold = holdProcess();
    try {
      yield* followRuns(deps, (id) => this.retrieveRun(id), options.signal);
    } finally {
      clearInterval(hold);
    }
  }

  async #followDeps(): Promise<FollowDeps> {
    const { db, sql, channels, listener } = this.deps;
    if (!listener) throw new DurablyError("NO_LISTENER", "Following runs needs a LISTEN connection, which this backend does not have");
    return { db, sql, channels, listener: await listener() };
  }

  /** Made on the first `pollRun`, which opens a direct backend's LISTEN connection. */
  #runWaiters(): Promise<RunWaiters | undefined> {
    const { listener, channels, db, sql } = this.deps;
    if (!listener) return Promise.resolve(undefined);
    const finished = async (ids: string[]) => {
      const { rows } = await db.query<{ id: string; status: RunStatus }>(sql.runs.statusesOf, [ids]);
      return rows.filter((row) => isFinalRunStatus(row.status)).map((row) => row.id);
    };
    const made = (this.#waiters ??= listener().then((l) => new RunWaiters(l, channels.run, finished, undefined, this.deps.committedEnds)));
    // A connection that failed is tried again by the next poll.
    made.catch(() => this.#waiters === made && (this.#waiters = undefined));
    return made;
  }

  async createPublicToken(options: PublicTokenRequest): Promise<string> {
    return createPublicToken(this.#signer(), options);
  }

  async createTriggerPublicToken(taskId: string, options: TriggerTokenRequest): Promise<string> {
    checkId(taskId, "task id");
    return createTriggerToken(this.#signer(), taskId, options);
  }

  #signer(): TokenSigner {
    if (!this.deps.secretKey) throw new DurablyError("NO_SECRET_KEY", "Creating public tokens needs a secret key (DURABLY_SECRET_KEY or secretKey)");
    return { secretKey: this.deps.secretKey, audience: audienceOf(this.deps.schema) };
  }

  createWaitToken(options: CreateWaitTokenOptions): Promise<WaitToken> {
    return this.waitpoints.create(options);
  }

  accessWaitToken(id: string): Promise<WaitToken> {
    return this.waitpoints.access(id);
  }

  completeWaitToken(id: string, output: unknown): Promise<void> {
    return this.waitpoints.complete(id, output);
  }

  retrieveWaitToken(id: string): Promise<WaitpointRecord> {
    return this.waitpoints.retrieve(id);
  }

  listWaitTokens(filter: ListWaitTokensFilter): Promise<WaitpointList> {
    return this.waitpoints.list(filter);
  }

  async close(): Promise<void> {
    await this.bulk.stop();
    await this.deps.close?.();
  }

  /** The run and what `statement` ($1 the run id) reads of it, in one snapshot. */
  /**
   * The run and the rows `statement` reads of it, from one snapshot. `kept`: a purged run whose
   * history is kept (`keepStatusHistory`) answers too, as its final status and revision, with no
   * output (that went with the run).
   */
  async #snapshot<R extends QueryResultRow>(id: string, statement: string, kept = false): Promise<{ run: RunHead & Pick<Run, "output" | "wait">; rows: R[] }> {
    checkId(id, "run id");
    const { db, sql } = this.deps;
    return db.transaction(async (client) => {
      await client.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      const runs = await db.query<RunReadRow>(sql.runs.get, [id], client);
      let run: (RunHead & Pick<Run, "output" | "wait">) | undefined = runs.rows[0] && toRun(runs.rows[0]);
      if (!run && kept) {
        const { rows: [head] } = await db.query<RunHead>(sql.keptHistories.head, [id], client);
        run = head && { ...head, output: undefined, wait: null };
      }
      if (!run) throw new RunNotFoundError(id);
      const { rows } = await db.query<R>(statement, [id], client);
      return { run, rows };
    });
  }

  async #runRow(id: string): Promise<RunReadRow> {
    checkId(id, "run id");
    const row = await this.#reads.run(id);
    if (!row) throw new RunNotFoundError(id);
    return row;
  }

  /**
   * One read alone goes by `get`, whose plan Postgres keeps; `getMany`'s is made again at every
   * call (its plan for an array of unknown length looks dearer than one for the array given), which
   * costs more than reading one run, but little beside reading many.
   */
  async #readRuns(ids: string[]): Promise<(RunReadRow | undefined)[]> {
    const { rows } = await this.deps.db.query<RunReadRow>(ids.length === 1 ? this.deps.sql.runs.get : this.deps.sql.runs.getMany, ids.length === 1 ? ids : [ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id));
  }

  async #latestVersion(taskId: string): Promise<string> {
    const { rows } = await this.deps.db.query<{ version: string }>(this.deps.sql.events.latestVersion, [taskId]);
    if (!rows[0]) throw new TaskNotFoundError(taskId);
    return rows[0].version;
  }
}

/**
 * A trigger from traced code carries its trace context, read here: the batcher inserting it runs
 * in whichever caller's context started the batch.
 */
function withCallerTrace(request: TriggerRequest): TriggerRequest {
  if (request.traceContext !== undefined) return request;
  const traceContext = callerTraceContext();
  return traceContext ? { ...request, traceContext } : request;
}
