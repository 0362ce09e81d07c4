import type pg from "pg";
import { Batcher } from "../db/batcher.ts";
import type { Database } from "../db/database.ts";
import type { ClaimedRow, JsonJournalRow } from "../db/rows.ts";
import type { Statements } from "../db/sql/index.ts";
import { ENTRY_COMPLETED } from "../db/sql/journal.ts";
import type { CommittedEntries } from "../notify/committed-entries.ts";

/** One journal write as `journal.writeMany` reads it (snake_case: it is a JSON record for SQL). */
export interface JournalItem {
  run_id: string;
  lease: string;
  seq: number;
  kind: string;
  key: string;
  status: "completed" | "failed";
  output: unknown;
  error: unknown;
  attempts: number;
  started_at: Date;
  next_status: string | null;
  md?: unknown;
  md_op?: string;
  md_key?: string;
  md_value?: unknown;
}

/** The start of one execution, as `runs.claimMany` reads it. */
export interface ClaimItem {
  run_id: string;
  lease: string;
  /** 1 when this execution is a new attempt (a start, a retry, a crash), 0 for a wake-up. */
  counts: number;
}

/** The end of one execution. */
export interface ReleaseItem {
  run_id: string;
  lease: string;
  status: string;
  output: unknown;
  error: unknown;
}

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

/** A write that landed, with its entry when it is one a live stream sends (see `journal.writeMany`). */
interface Landed {
  run_id: string;
  entry?: JsonJournalRow | null;
}

/** The end of an execution as an item of a journal batch (see `journal.writeMany`). */
interface EndItem {
  run_id: string;
  lease: string;
  seq: null;
  next_status: string;
  run_output: unknown;
  run_error: unknown;
  md?: undefined;
}

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

  /** `entries` hears the status and metadata entries of every batch, once it has committed. */
  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly notifyChannel: string,
    private readonly entries?: CommittedEntries,
  ) {
    this.#lanes = Array.from({ length: LANES }, () => new Batcher<BatchItem, boolean | ClaimedRow[]>(
      async (items) => {
        const landed: Landed[] = [];
        const results = await this.#writeMany(items, this.db.pool, landed);
        for (const { run_id, entry } of landed) if (entry) this.entries?.publish(run_id, entry);
        return results;
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
    return landed as boolean;
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
    const { rows } = await this.db.query<ClaimedRow>(this.sql.runs.claimMany, [JSON.stringify([...items].sort(byRunId)), this.notifyChannel]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return items.map((item) => byId.get(item.run_id));
  }

  /** True if the run was released; false if this execution no longer held it. */
  release(item: ReleaseItem): Promise<boolean> {
    return this.#laneOf(item.run_id).run({
      run_id: item.run_id, lease: item.lease, seq: null, next_status: item.status, run_output: item.output, run_error: item.error,
    }) as Promise<boolean>;
  }

  /** All of a run's writes go through one lane, so they stay in order. Run ids end in random characters. */
  #laneOf(runId: string): Batcher<BatchItem, boolean | ClaimedRow[]> {
    return this.#lanes[runId.charCodeAt(runId.length - 1) % LANES]!;
  }

  /** The same end inside a caller's transaction, not batched. */
  releaseOn(client: pg.PoolClient, item: ReleaseItem): Promise<boolean> {
    return this.#endOne(item.run_id, item.lease, item.status, item.output, item.error, client);
  }

  async #endOne(runId: string, lease: string, status: string, output: unknown, error: unknown, on: pg.Pool | pg.PoolClient): Promise<boolean> {
    const { rows } = await this.db.query(this.sql.runs.release, [runId, lease, status, json(output), json(error), this.notifyChannel], on);
    return rows.length > 0;
  }

  async #writeOne(item: JournalItem | EndItem, on: pg.Pool | pg.PoolClient, landed?: Landed[]): Promise<boolean> {
    if (item.seq === null) return this.#endOne(item.run_id, item.lease, item.next_status, item.run_output, item.run_error, on);
    const values: unknown[] = [
      item.run_id, item.lease, item.seq, item.kind, item.key, item.status, json(item.output), json(item.error), item.attempts,
      item.started_at, item.next_status, this.notifyChannel,
    ];
    const text = item.md === undefined ? this.sql.journal.writeOne : this.sql.journal.writeOneWithMetadata;
    if (item.md !== undefined) values.push(json(item.md), item.md_op, item.md_key, json(item.md_value));
    values.push(landed !== undefined && this.#followed(item.run_id));
    const result = await this.db.query<Landed>(text, values, on).catch((error: { code?: string }) => {
      // A batch meeting a completed entry fails as a whole; the batcher then sends its writes one
      // by one, so that only the write that met it comes here refused.
      if (error.code === ENTRY_COMPLETED) return undefined;
      throw error;
    });
    if (!result) return false;
    landed?.push(...result.rows);
    return result.rows.length > 0;
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
      const { rows } = await this.db.query<ClaimedRow>(this.sql.runs.claimReady, [claim, this.notifyChannel], on);
      return shareClaimed(items, rows);
    }
    if (writes.length === 1 && claim === 0) return [await this.#writeOne(writes[0]!, on, landed)];
    const text = writes.some((item) => item.md !== undefined) ? this.sql.journal.writeManyWithMetadata : this.sql.journal.writeMany;
    const followed = landed === undefined ? [] : writes.filter((item) => this.#followed(item.run_id)).map((item) => item.run_id);
    const { rows } = await this.db.query<Landed & { claimed: Record<string, unknown> | null }>(
      text, [JSON.stringify(writes), this.notifyChannel, claim, followed], on,
    );
    const wrote = rows.filter((r) => r.claimed === null);
    landed?.push(...wrote);
    const ids = new Set(wrote.map((r) => r.run_id));
    const claimed = rows.flatMap((r) => (r.claimed === null ? [] : [claimedFromJson(r.claimed)]));
    return shareClaimed(items, claimed, (item) => ids.has(item.run_id));
  }
}

/**
 * A batch's items in the order its statement locks their runs: the planner probes each item's run
 * in turn (`batchItems`, db/sql/batch.ts), and every statement that waits for several runs' locks must take
 * them in one order (`lockOrder`, db/sql/runs.ts). Without it a journal batch and the heartbeat
 * deadlocked now and then, and the lane stood still for Postgres's deadlock_timeout.
 */
const byRunId = (a: { run_id: string }, b: { run_id: string }): number => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0);

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

const TIMESTAMPS = ["created_at", "started_at", "finished_at", "updated_at", "scheduled_for", "idempotency_key_expires_at", "expires_at", "ready_at", "heartbeat_at"];

/** A claimed run as the journal statement returns it (JSON), typed as node-postgres would have parsed its row. */
function claimedFromJson(row: Record<string, unknown>): ClaimedRow {
  const parsed: Record<string, unknown> = { ...row, revision: String(row.revision) };
  for (const column of TIMESTAMPS) if (typeof row[column] === "string") parsed[column] = new Date(row[column]);
  return parsed as unknown as ClaimedRow;
}

/** A jsonb parameter: node-postgres would send a string as text and an array as a Postgres array. */
function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
