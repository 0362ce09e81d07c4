import type pg from "pg";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { Scheduler } from "../jobs/pg-boss.ts";
import { onClient, type RunJobReason } from "../jobs/job-sender.ts";
import type { Stored } from "../serialize.ts";
import type { ChildRunResult, JournalKind, RunStatus, SerializedError } from "../../sdk/types.ts";
import { isFinalRunStatus } from "../../wire/index.ts";
import { wakeParent } from "../orchestration/wake-parent.ts";
import { childResults, type ChildRow } from "../orchestration/child-results.ts";
import { encode } from "../serialize.ts";
import type { ReleaseItem } from "../db/hot-path/end-execution.ts";
import type { JournalItem } from "../db/hot-path/write-journal.ts";
import type { BatchedWrites } from "./batched-writes.ts";
import { awaitToken, settledOutcome, type TokenWait } from "../waitpoints/await-token.ts";
import { changeAncestorMetadata, type AncestorChange, type AncestorChangeResult } from "./ancestor-metadata.ts";

export interface EntryWrite {
  seq: number;
  kind: JournalKind;
  key: string;
  status: "completed" | "failed";
  output?: Stored;
  error?: SerializedError;
  attempts: number;
  startedAt: Date;
  /** A step's `timeout` in ms, kept to show. */
  timeoutMs?: number | undefined;
}

/** A metadata change, applied by the write to the run's metadata as it is; its entry records what came out. */
export interface MetadataWrite {
  op: string;
  key: string;
  value: unknown;
}

export interface Handoff {
  reason: RunJobReason;
  startAfter?: Date;
}

/** What an execution writes through; `durably check` replays with one that never writes. */
export type JournalWriter = Pick<Recorder, "write" | "writeAndHandOff" | "writeInTransaction" | "writeAncestorMetadata" | "suspend" | "awaitRuns" | "awaitToken" | "state">;

/** Channels and, for an awaited child, the parent to wake when the run finishes. */
export interface RecorderTarget {
  runId: string;
  lease: string;
  notifyChannel: string;
  wakeChannel: string;
  /** Set when the run is a child its parent waits for. */
  parentRunId: string | null;
}

/**
 * Commits what one execution of a run learns, fenced by the execution's lease: a write that
 * returns false found the run canceled or taken over, and the execution must stop.
 */
export class Recorder {
  readonly runId: string;
  readonly lease: string;
  private readonly notifyChannel: string;

  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly scheduler: Scheduler,
    private readonly writes: BatchedWrites,
    private readonly target: RecorderTarget,
  ) {
    this.runId = target.runId;
    this.lease = target.lease;
    this.notifyChannel = target.notifyChannel;
  }

  write(entry: EntryWrite, extra?: { metadata?: MetadataWrite }): Promise<boolean> {
    const item = this.#item(entry, null);
    if (extra?.metadata) {
      const m = extra.metadata;
      Object.assign(item, { md: true, md_op: m.op, md_key: m.key, md_value: m.value ?? null });
    }
    return this.writes.write(item).then((landed) => landed || this.#refused());
  }

  /** Records the entry, hands the run back to the scheduler and releases the lease, atomically. */
  async writeAndHandOff(entry: EntryWrite, nextStatus: RunStatus, handoff: Handoff): Promise<boolean> {
    const landed = await this.db.transaction(async (client) => {
      if (!(await this.writes.writeOn(client, this.#item(entry, nextStatus)))) return false;
      await this.scheduler.send(onClient(client), { runId: this.runId, reason: handoff.reason }, handoff.startAfter);
      return true;
    });
    return landed || this.#refused();
  }

  /**
   * A transactional step: runs `work` on a client inside a transaction and records the entry it
   * returns on that same client before COMMIT, so the step's own writes and its journal entry
   * commit together or not at all. An error from `work` rolls back and is rethrown; a lost lease
   * rolls back too (a stale execution's writes must not land) and resolves `{ written: false }`.
   */
  async writeInTransaction<T>(work: (tx: pg.PoolClient) => Promise<{ entry: EntryWrite; value: T }>): Promise<{ written: true; value: T } | { written: false }> {
    const fenced = Symbol("lease lost");
    try {
      return await this.db.transaction(async (client) => {
        const { entry, value } = await work(client);
        if (!(await this.writes.writeOn(client, this.#item(entry, null)))) throw fenced;
        return { written: true as const, value };
      });
    } catch (error) {
      if (error === fenced) return { written: await this.#refused() };
      throw error;
    }
  }

  /**
   * `metadata.parent` / `metadata.root`: the ancestor's metadata changes and the entry is recorded
   * in one transaction (see ancestor-metadata.ts). `written` false: the lease fence refused the
   * entry, and the change was rolled back with it.
   */
  async writeAncestorMetadata(
    entry: EntryWrite, change: AncestorChange, encodeResult: (result: AncestorChangeResult) => Stored,
  ): Promise<{ written: true; result: AncestorChangeResult } | { written: false }> {
    const fenced = Symbol("lease lost");
    try {
      return await this.db.transaction(async (client) => {
        const held = await this.db.query(this.sql.runs.fence, [this.runId, this.lease], client);
        if (held.rows.length === 0) throw fenced;
        const result = await changeAncestorMetadata(this.db, this.sql, client, { runId: this.runId, change, notifyChannel: this.notifyChannel });
        if (!(await this.writes.writeOn(client, this.#item({ ...entry, output: encodeResult(result) }, null)))) throw fenced;
        return { written: true as const, result };
      });
    } catch (error) {
      if (error === fenced) return { written: await this.#refused() };
      throw error;
    }
  }

  /** Lets go of the run (WAITING) without a journal entry: its wake-up job is already scheduled. */
  async suspend(): Promise<boolean> {
    return this.#one(this.sql.runs.suspend, [this.runId, this.lease, this.notifyChannel]);
  }

  /**
   * Journals the children's results if they have all finished; otherwise lets go of the run
   * (WAITING) until the last of them wakes it. The parent's row lock orders this against the
   * children's final commits (see wake-parent.ts), so no wake-up is lost in between.
   */
  async awaitRuns(entry: Pick<EntryWrite, "seq" | "kind" | "key" | "startedAt">, ids: string[]): Promise<ChildRunResult[] | "suspended" | "lost"> {
    return this.db.transaction(async (client) => {
      const fenced = await this.db.query(this.sql.runs.fence, [this.runId, this.lease], client);
      if (fenced.rows.length === 0) return "lost";
      const { rows } = await this.db.query<ChildRow>(this.sql.runs.childResults, [ids], client);
      const results = childResults(ids, rows);
      if (!results) {
        await this.db.query(this.sql.runs.suspend, [this.runId, this.lease, this.notifyChannel], client);
        return "suspended";
      }
      const output = encode(results, "child run results");
      const write: EntryWrite = { ...entry, status: "completed", output, attempts: 1 };
      await this.writes.writeOn(client, this.#item(write, null));
      return results;
    });
  }

  /**
   * `wait.forToken`: journals how the token was settled, or lets go of the run (WAITING) until a
   * completion or its timeout job wakes it (see waitpoints/await-token.ts), in one transaction.
   */
  async awaitToken(entry: Pick<EntryWrite, "seq" | "kind" | "key" | "startedAt">, tokenId: string): Promise<TokenWait & { output?: Stored }> {
    // A settled token never changes: a run woken by its completion journals it like any call's
    // result (one fenced write, batched with others), with no transaction or lock of its own.
    const settled = await settledOutcome(this.db, this.sql, tokenId);
    if (settled) {
      const output = encode(settled, "waitpoint outcome");
      if (!(await this.write({ ...entry, status: "completed", output, attempts: 1 }))) return { type: "lost" };
      return { type: "settled", outcome: settled, output };
    }
    return this.db.transaction(async (client) => {
      const deps = { db: this.db, sql: this.sql, scheduler: this.scheduler, notifyChannel: this.notifyChannel, wakeChannel: this.target.wakeChannel };
      const waited = await awaitToken(deps, client, { id: this.runId, lease: this.lease }, tokenId, entry);
      if (waited.type !== "settled") return waited;
      const output = encode(waited.outcome, "waitpoint outcome");
      await this.writes.writeOn(client, this.#item({ ...entry, status: "completed", output, attempts: 1 }, null));
      return { ...waited, output };
    });
  }

  /** Ends the execution: a final state, or back to the queue (a run-level retry) with its job. */
  async release(status: RunStatus, output: Stored | undefined, error: SerializedError | null, handoff?: Handoff): Promise<boolean> {
    const item: ReleaseItem = { run_id: this.runId, lease: this.lease, status, output: output ?? null, error };
    const parentRunId = isFinalRunStatus(status) ? this.target.parentRunId : null;
    if (!handoff && !parentRunId) return this.writes.release(item);
    const returned = this.writes.endWriting(this.runId);
    try {
      const released = await this.db.transaction(async (client) => {
        const ended = await this.writes.releaseOn(client, item);
        if (!ended) return undefined;
        if (handoff) await this.scheduler.send(onClient(client), { runId: this.runId, reason: handoff.reason }, handoff.startAfter);
        if (parentRunId) await wakeParent({ db: this.db, sql: this.sql, scheduler: this.scheduler, wakeChannel: this.target.wakeChannel }, client, parentRunId);
        return ended;
      });
      if (released) this.writes.ended(this.runId, status, released);
      return released !== undefined;
    } finally {
      returned();
    }
  }

  async state(): Promise<RunStatus | undefined> {
    const { rows } = await this.db.query<{ status: RunStatus }>(this.sql.runs.state, [this.runId]);
    return rows[0]?.status;
  }

  /**
   * A refused write means another execution took the run, unless this one still holds the
   * lease: then the entry was already recorded, and this execution replayed a journal without
   * it. (A claim that waited for an older execution's write reads the journal again, see
   * `withCompleteJournal`, so this is a safety net.) Continuing would abandon a run nobody else
   * holds; failing like a crash hands it back to be claimed with the journal as it now is.
   */
  async #refused(): Promise<false> {
    if (await this.holdsLease()) throw new Error(`run ${this.runId}: its journal changed after this execution read it; handing the run back to replay`);
    return false;
  }

  /** Whether this execution still holds the run: EXECUTING under its lease. */
  async holdsLease(): Promise<boolean> {
    const { rows } = await this.db.query(this.sql.runs.fence, [this.runId, this.lease]);
    return rows.length > 0;
  }

  #item(e: EntryWrite, nextStatus: RunStatus | null): JournalItem {
    return {
      run_id: this.runId, lease: this.lease, seq: e.seq, kind: e.kind, key: e.key, status: e.status,
      output: e.output ?? null, error: e.error ?? null, attempts: e.attempts, started_at: e.startedAt, next_status: nextStatus,
      ...(e.timeoutMs !== undefined ? { timeout_ms: e.timeoutMs } : {}),
    };
  }

  async #one(text: string, values: unknown[]): Promise<boolean> {
    const { rows } = await this.db.query(text, values);
    return rows.length > 0;
  }
}
