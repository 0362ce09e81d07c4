import { randomUUID } from "node:crypto";
import { DurablyError, InvalidPayloadError } from "../../sdk/errors.ts";
import type { BulkRequest } from "../../sdk/backend-types.ts";
import { BULK_ACTION_KINDS, RUN_STATUSES, type BulkAction, type BulkActionKind, type BulkDryRun, type BulkRunsFilter } from "../../sdk/types.ts";
import type { BulkRunsSelection } from "../db/sql/bulk.ts";
import { atFaultPoint } from "../debug/fault-points.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../logger.ts";
import { filterOf, statusesOf } from "../run-list.ts";
import { actOnRun, type ActDeps } from "./act-on-run.ts";
import { changeSignal } from "../notify/follow-run.ts";
import type { Listener } from "../notify/listener.ts";

/** Runs picked one by one in a bulk action; more are picked by a filter. */
const MAX_RUN_IDS = 500;

/** Runs acted on between two reads of what is left to do. */
const PAGE = 100;

interface BulkRow {
  id: string;
  action: BulkActionKind;
  status: "RUNNING" | "COMPLETED";
  total: number;
  succeeded: number;
  failed: number;
  created_at: Date;
  finished_at: Date | null;
}

export interface BulkDeps extends ActDeps {
  logger?: Logger | undefined;
  /** After this long without a heartbeat an action is taken to be abandoned by a dead process. */
  staleAfterSeconds?: number | undefined;
}

const toBulkAction = (row: BulkRow): BulkAction => ({
  id: row.id, action: row.action, status: row.status, total: row.total, succeeded: row.succeeded, failed: row.failed,
  createdAt: row.created_at, finishedAt: row.finished_at,
});

/**
 * `runs.bulk.*`: an action made here is worked on here, in the background, and taken over by
 * any process's `resumeAbandoned` once its heartbeat lapses (its process died). Each run is acted
 * on in the transaction that marks its item done, so it is acted on once whoever finishes the job.
 */
export class BulkActions {
  readonly #owner = randomUUID();
  readonly #working = new Map<string, Promise<void>>();
  #stopped = false;

  constructor(private readonly deps: BulkDeps) {}

  async create(request: BulkRequest): Promise<BulkAction | BulkDryRun> {
    if (!(BULK_ACTION_KINDS as readonly string[]).includes(request.action)) {
      throw new InvalidPayloadError(`Unknown bulk action "${request.action}"; one of ${BULK_ACTION_KINDS.join(", ")}`);
    }
    if (request.action === "fork" && !(Number.isInteger(request.fromSeq) && request.fromSeq! >= 1)) {
      throw new InvalidPayloadError("A bulk fork needs fromSeq, a positive integer (seq 1 is the first io call)");
    }
    const selection = selectionOf(request.filter);
    const { db, sql } = this.deps;
    if (request.dryRun) {
      const count = sql.bulk.count(selection);
      const { rows } = await db.queryForValues<{ count: number }>(count.text, count.values);
      return { action: request.action, dryRun: true, count: rows[0]!.count };
    }
    const id = newId("bulk");
    const options = request.fromSeq === undefined ? {} : { fromSeq: request.fromSeq };
    const create = sql.bulk.create(selection, { id, kind: request.action, filter: JSON.stringify(request.filter), options, owner: this.#owner });
    const { rows } = await db.queryForValues<BulkRow>(create.text, create.values);
    this.#work(id);
    return toBulkAction(rows[0]!);
  }

  async retrieve(id: string): Promise<BulkAction> {
    const { rows } = await this.deps.db.query<BulkRow>(this.deps.sql.bulk.get, [id]);
    if (!rows[0]) throw new DurablyError("BULK_ACTION_NOT_FOUND", `No bulk action with id "${id}"`);
    return toBulkAction(rows[0]);
  }

  /**
   * The action as it is, then each time its progress is pushed (NOTIFY on the bulk channel,
   * routed by the LISTEN hub), until it has completed or `signal` aborts. No timer: without the
   * push it would wait for ever, so a follower costs nothing between two pushes.
   */
  async *follow(listener: Listener, id: string, signal?: AbortSignal): AsyncGenerator<BulkAction> {
    const changed = changeSignal(true);
    const off = listener.on(this.deps.channels.bulk, (payload) => payload === id && changed.signal());
    // Notifications sent while the LISTEN connection was down are lost: read again once it is back.
    const offReconnect = listener.onReconnect(changed.signal);
    signal?.addEventListener("abort", changed.signal);
    try {
      // The first follower of the channel sends its LISTEN: a change committed after it is heard.
      await listener.listening();
      let last: BulkAction | undefined;
      for (;;) {
        await changed.wait();
        if (signal?.aborted) return;
        const action = await this.retrieve(id);
        if (!last || action.status !== last.status || action.succeeded + action.failed !== last.succeeded + last.failed) yield (last = action);
        if (action.status === "COMPLETED") return;
      }
    } finally {
      off();
      offReconnect();
      signal?.removeEventListener("abort", changed.signal);
    }
  }

  /** Takes over every action whose process stopped working on it. */
  async resumeAbandoned(): Promise<void> {
    const { rows } = await this.deps.db.query<{ id: string }>(this.deps.sql.bulk.abandoned, [this.#staleAfter()]);
    for (const { id } of rows) this.#work(id);
  }

  /** Stops after the run in hand and lets another process take each action at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#working.values());
  }

  #staleAfter(): number {
    return this.deps.staleAfterSeconds ?? 30;
  }

  #work(id: string): void {
    if (this.#working.has(id) || this.#stopped) return;
    const working = this.#process(id)
      .catch((error: unknown) => this.deps.logger?.warn("bulk action paused", { id, error: (error as Error).message }))
      .finally(() => this.#working.delete(id));
    this.#working.set(id, working);
  }

  async #process(id: string): Promise<void> {
    const { db, sql } = this.deps;
    const taken = await db.query<{ action: BulkActionKind; options: { fromSeq?: number } }>(sql.bulk.take, [id, this.#owner, this.#staleAfter()]);
    const action = taken.rows[0];
    if (!action) return;
    try {
      for (;;) {
        const { rows } = await db.query<{ run_id: string }>(sql.bulk.pending, [id, PAGE]);
        if (rows.length === 0) break;
        for (const { run_id } of rows) {
          if (this.#stopped) return;
          await this.#actOnOne(id, action.action, run_id, action.options);
        }
      }
      await db.query(sql.bulk.complete, [id, this.deps.channels.bulk]);
    } finally {
      if (this.#stopped) await db.query(sql.bulk.release, [id, this.#owner]).catch(() => undefined);
    }
  }

  async #actOnOne(id: string, action: BulkActionKind, runId: string, options: { fromSeq?: number }): Promise<void> {
    const { db, sql } = this.deps;
    await db.transaction(async (client) => {
      // Another process may have taken the action over and done this run meanwhile.
      if ((await db.query(sql.bulk.lockItem, [id, runId], client)).rows.length === 0) return;
      let result: string | null = null;
      let error: string | null = null;
      await client.query("SAVEPOINT act");
      try {
        result = await actOnRun(this.deps, client, action, runId, options);
        await client.query("RELEASE SAVEPOINT act");
      } catch (thrown) {
        if (!(thrown instanceof DurablyError)) throw thrown;
        await client.query("ROLLBACK TO SAVEPOINT act");
        error = thrown.message;
      }
      await db.query(sql.bulk.finishItem, [id, runId, result, error, this.deps.channels.bulk], client);
      await atFaultPoint("before-commit:bulk-item", runId);
    });
  }
}

/** The runs a bulk action's filter selects, checked as `runs.list` checks its filter. */
function selectionOf(filter: BulkRunsFilter): BulkRunsSelection {
  const statuses = statusesOf(filter);
  if (filter.runIds !== undefined && (!Array.isArray(filter.runIds) || filter.runIds.length > MAX_RUN_IDS)) {
    throw new InvalidPayloadError(`runIds takes at most ${MAX_RUN_IDS} run ids; use a filter for more`);
  }
  for (const status of statuses ?? []) {
    if (!(RUN_STATUSES as readonly string[]).includes(status)) throw new InvalidPayloadError(`Unknown status "${status}"; one of ${RUN_STATUSES.join(", ")}`);
  }
  // An empty list selects no run, as empty runIds do: a bulk action never widens to every run.
  return { ...filterOf(filter, statuses), taskVersion: filter.taskVersion ?? null, runIds: filter.runIds ?? null };
}
