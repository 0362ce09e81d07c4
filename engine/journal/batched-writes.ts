import type pg from "pg";
import { Batcher } from "../db/batcher.ts";
import type { Database } from "../db/database.ts";
import { claimReadyRuns, claimRuns, type ClaimItem } from "../db/hot-path/claim-runs.ts";
import { endExecution, type ReleaseItem, type Released } from "../db/hot-path/end-execution.ts";
import { byRunId } from "../db/hot-path/lock-order.ts";
import { runFromJson, writeJournalBatch, writeJournalEntry, type EndItem, type JournalItem, type Landed } from "../db/hot-path/write-journal.ts";
import type { ClaimedRow } from "../db/rows.ts";
import type { Statements } from "../db/sql/index.ts";
import type { CommittedEnds } from "../notify/committed-ends.ts";
import type { CommittedEntries } from "../notify/committed-entries.ts";
import type { RunStatus } from "../../sdk/types.ts";
import { isFinalRunStatus } from "../../wire/index.ts";
import type { EngineMetrics } from "../metrics/engine-metrics.ts";

/** A request for ready runs riding a journal batch, for the slots a worker has free. */
interface ClaimRequest {
  /** CLAIM_KEY and a number: requests in one batch are summed into one claim. */
  run_id: string;
  claim: number;
  seq?: undefined;
  md?: undefined;
}

/**
 * Journal batches in flight at once, each for its own share of the runs. With one, Node and
 * Postgres take turns: a batch executes while Node waits, then Node resumes the batch's runs while
 * Postgres waits. With two, one lane's statement executes while Node resumes the other's runs. On
 * the 2-core machine two lanes ran the throughput bench 20% faster than one (5 runs each,
 * alternated); more lanes make batches smaller, which costs Postgres more per write.
 */
const LANES = 2;

/** Starts the key of a claim request; no run id starts with it. */
const CLAIM_KEY = "\u0000claim";

const isClaim = (item: BatchItem): item is ClaimRequest => item.run_id.startsWith(CLAIM_KEY);

type BatchItem = JournalItem | EndItem | ClaimRequest;

/**
 * The hot-path writes of every execution in the process — claims, journal entries, runs' ends:
 * concurrent writes of different runs go to Postgres together, one statement and one commit per
 * batch. Runs' ends share the journal's batches.
 */
export class BatchedWrites {
  readonly #lanes: Batcher<BatchItem, boolean | ClaimedRow[]>[];
  #claimTurn = 0;
  #claimRequests = 0;
  readonly #claims: Batcher<ClaimItem, ClaimedRow | undefined>;

  /**
   * `entries` hears the entries of every batch that a live stream here follows, once it has
   * committed; `ends`, the runs ended here, once their end has committed; `notified`, each run a
   * landed write notified of, once committed.
   */
  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly notifyChannel: string,
    private readonly entries?: CommittedEntries,
    private readonly metrics?: EngineMetrics,
    private readonly ends?: CommittedEnds,
    private readonly notified?: (runId: string) => void,
  ) {
    this.#lanes = Array.from({ length: LANES }, () => new Batcher<BatchItem, boolean | ClaimedRow[]>(
      async (items) => {
        const landed: Landed[] = [];
        const followed = this.entries ? items.filter((item) => this.#followed(item.run_id)).map((item) => item.run_id) : [];
        const returned = followed.length > 0 ? this.entries!.writing(followed) : undefined;
        const awaited = items.filter((item) => !isClaim(item) && item.seq === null && item.awaited).map((item) => item.run_id);
        const endsReturned = awaited.length > 0 ? this.ends!.writing(awaited) : undefined;
        try {
          const results = await this.#writeMany(items, this.db.pool, landed);
          this.#handOver(items, landed);
          this.#publishEnds(items, results, landed);
          this.#landed(items, results);
          return results;
        } finally {
          returned?.();
          endsReturned?.();
        }
      },
      { maxBatch: 64, concurrency: 1, key: (item) => item.run_id },
    ));
    this.#claims = new Batcher((items) => this.#claimMany(items), { maxBatch: 64, concurrency: 1, key: (item) => item.run_id });
  }

  /** True if the write landed; false if the run was canceled or taken over (the lease fence). */
  write(item: JournalItem): Promise<boolean> {
    return this.#laneOf(item.run_id).run(item) as Promise<boolean>;
  }

  /** The same write inside a caller's transaction, not batched; its entry is not published (it commits later). */
  async writeOn(client: pg.PoolClient, item: JournalItem): Promise<boolean> {
    const [landed] = await this.#writeMany([item], client);
    // Counted before the caller's transaction commits: one that rolls back after a landed write is a crashed execution, rare enough for a rate.
    if (landed === true) this.metrics?.journalWritten();
    return landed as boolean;
  }

  /**
   * A batch's landed writes: each run a write notified of is told, and journal entries are
   * counted, here once per batch rather than on each write's promise.
   */
  #landed(items: BatchItem[], results: (boolean | ClaimedRow[])[]): void {
    items.forEach((item, i) => {
      if (results[i] !== true) return;
      this.notified?.(item.run_id);
      if (typeof item.seq === "number") this.metrics?.journalWritten();
    });
  }

  /**
   * Up to `max` ready runs, each claimed for one execution: at once on an idle lane, else with a
   * lane's next journal batch. `alongside` a run, the claim rides that run's next write instead
   * (its end, when the claim is for the slot its code just left), so the new run starts as the
   * old one's end commits rather than a round trip later.
   */
  claimReady(max: number, alongside?: string): Promise<ClaimedRow[]> {
    const request: ClaimRequest = { run_id: `${CLAIM_KEY}${this.#claimRequests++}`, claim: max };
    if (alongside !== undefined) return this.#laneOf(alongside).runSoon(request) as Promise<ClaimedRow[]>;
    const lane = this.#lanes.find((l) => l.idle) ?? this.#lanes[this.#claimTurn++ % LANES]!;
    return lane.run(request) as Promise<ClaimedRow[]>;
  }

  /** The run with its journal, or undefined if it is not claimable (finished, or in a limited queue). */
  claim(item: ClaimItem): Promise<ClaimedRow | undefined> {
    return this.#claims.run(item);
  }

  async #claimMany(items: ClaimItem[]): Promise<(ClaimedRow | undefined)[]> {
    const rows = await claimRuns(this.db, this.sql, { items: [...items].sort(byRunId), channel: this.notifyChannel });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return items.map((item) => byId.get(item.run_id));
  }

  /** True if the run was released; false if this execution no longer held it. Its end is published as it commits (`#publishEnds`). */
  release(item: ReleaseItem): Promise<boolean> {
    return this.#laneOf(item.run_id).run({
      run_id: item.run_id, lease: item.lease, seq: null, next_status: item.status, run_output: item.output, run_error: item.error,
      ...(this.#awaited(item.run_id) ? { awaited: true as const } : {}),
    }) as Promise<boolean>;
  }

  /**
   * A run's end has committed in a caller's transaction that `releaseOn` wrote into: tells this
   * process's waiters, with the finished run when the end returned it.
   */
  ended(runId: string, status: RunStatus, released: Released): void {
    if (isFinalRunStatus(status)) this.ends?.publish(runId, { status, run: released.run ? runFromJson(released.run) : undefined });
  }

  /**
   * Marks the end of the run's execution under way in a caller's transaction (`releaseOn`) when a
   * caller here waits for it, until the function returned is called (after `ended`, or after the
   * transaction failed): the notification of the end, often heard before the transaction returns,
   * then waits for the finished run to be handed over instead of sending its waiter to read it.
   */
  endWriting(runId: string): () => void {
    return this.#awaited(runId) ? this.ends!.writing([runId]) : () => undefined;
  }

  /** The ends of a lane's batch that landed, to this process's waiters, as soon as it returns (committed). */
  #publishEnds(items: BatchItem[], results: (boolean | ClaimedRow[])[], landed: Landed[]): void {
    if (!this.ends) return;
    items.forEach((item, i) => {
      if (isClaim(item) || item.seq !== null || results[i] !== true || !isFinalRunStatus(item.next_status as RunStatus)) return;
      const run = item.awaited ? landed.find((l) => l.run_id === item.run_id)?.run : undefined;
      this.ends!.publish(item.run_id, { status: item.next_status as RunStatus, run: run ? runFromJson(run) : undefined });
    });
  }

  /** Whether a caller in this process waits for the run's end: only then does the end return the finished run. */
  #awaited(runId: string): boolean {
    return this.ends?.follows(runId) ?? false;
  }

  /** All of a run's writes go through one lane, so they stay in order. Run ids end in random characters. */
  #laneOf(runId: string): Batcher<BatchItem, boolean | ClaimedRow[]> {
    return this.#lanes[runId.charCodeAt(runId.length - 1) % LANES]!;
  }

  /** The same end inside a caller's transaction, not batched; undefined if this execution no longer held the run. */
  releaseOn(client: pg.PoolClient, item: ReleaseItem): Promise<Released | undefined> {
    return endExecution(this.db, this.sql, client, { end: item, channel: this.notifyChannel, awaited: this.#awaited(item.run_id) });
  }

  async #writeOne(item: JournalItem | EndItem, on: pg.Pool | pg.PoolClient, landed?: Landed[]): Promise<boolean> {
    if (item.seq === null) {
      const end = { run_id: item.run_id, lease: item.lease, status: item.next_status, output: item.run_output, error: item.run_error };
      const released = await endExecution(this.db, this.sql, on, { end, channel: this.notifyChannel, awaited: item.awaited ?? false });
      if (released) landed?.push({ run_id: item.run_id, run: released.run });
      return released !== undefined;
    }
    const rows = await writeJournalEntry(this.db, this.sql, on, {
      item, channel: this.notifyChannel, followed: landed !== undefined && this.#followed(item.run_id),
    });
    if (!rows) return false;
    landed?.push(...rows);
    return rows.length > 0;
  }

  /**
   * The committed entries of followed runs, to their streams here, before the writers' calls
   * return; not one whose write moved its run's status (the stream reads that run).
   */
  #handOver(items: BatchItem[], landed: Landed[]): void {
    for (const { run_id, entry } of landed) {
      if (entry && (items.find((item) => item.run_id === run_id) as JournalItem).next_status === null) this.entries?.publish(run_id, entry);
    }
  }

  #followed(runId: string): boolean {
    return this.entries?.follows(runId) ?? false;
  }

  /** `landed`, if given, gets the statement's landed writes, with the entries of runs a live stream here follows. */
  async #writeMany(items: BatchItem[], on: pg.Pool | pg.PoolClient, landed?: Landed[]): Promise<(boolean | ClaimedRow[])[]> {
    const claims = items.filter(isClaim);
    const claim = claims.reduce((sum, request) => sum + request.claim, 0);
    const writes = items.filter((item): item is JournalItem | EndItem => !isClaim(item)).sort(byRunId);
    if (writes.length === 0) {
      return shareClaimed(items, await claimReadyRuns(this.db, this.sql, on, { max: claim, channel: this.notifyChannel }));
    }
    if (writes.length === 1 && claim === 0) return [await this.#writeOne(writes[0]!, on, landed)];
    const followed = landed === undefined ? [] : writes.filter((item) => this.#followed(item.run_id)).map((item) => item.run_id);
    const { landed: wrote, claimed } = await writeJournalBatch(this.db, this.sql, on, { writes, channel: this.notifyChannel, claim, followed });
    landed?.push(...wrote);
    const ids = new Set(wrote.map((r) => r.run_id));
    return shareClaimed(items, claimed, (item) => ids.has(item.run_id));
  }
}

/** Each claim request's share of the runs claimed for the batch, in order; other items' results from `written`. */
function shareClaimed(
  items: BatchItem[], claimed: ClaimedRow[], written: (item: JournalItem | EndItem) => boolean = () => false,
): (boolean | ClaimedRow[])[] {
  let next = 0;
  return items.map((item) => {
    if (!isClaim(item)) return written(item);
    const share = claimed.slice(next, next + item.claim);
    next += item.claim;
    return share;
  });
}
