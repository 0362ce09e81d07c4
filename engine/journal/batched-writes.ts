import type pg from "pg";
import { Batcher } from "../db/batcher.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { ClaimedRow } from "../worker/claim-run.ts";

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
  readonly #batcher: Batcher<JournalItem | EndItem, boolean>;
  readonly #claims: Batcher<ClaimItem, ClaimedRow | undefined>;

  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly notifyChannel: string,
  ) {
    this.#batcher = new Batcher((items) => this.#writeMany(items, this.db.pool), {
      maxBatch: 64,
      concurrency: 1,
      key: (item) => item.run_id,
    });
    this.#claims = new Batcher((items) => this.#claimMany(items), { maxBatch: 64, concurrency: 1, key: (item) => item.run_id });
  }

  /** True if the write landed; false if the run was canceled or taken over (the lease fence). */
  write(item: JournalItem): Promise<boolean> {
    return this.#batcher.run(item);
  }

  /** The same write inside a caller's transaction, not batched. */
  async writeOn(client: pg.PoolClient, item: JournalItem): Promise<boolean> {
    const [landed] = await this.#writeMany([item], client);
    return landed!;
  }

  /** The run with its journal, or undefined if it is not claimable (finished, or in a limited queue). */
  claim(item: ClaimItem): Promise<ClaimedRow | undefined> {
    return this.#claims.run(item);
  }

  async #claimMany(items: ClaimItem[]): Promise<(ClaimedRow | undefined)[]> {
    const { rows } = await this.db.query<ClaimedRow>(this.sql.runs.claimMany, [JSON.stringify(items), this.notifyChannel]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return items.map((item) => byId.get(item.run_id));
  }

  /** True if the run was released; false if this execution no longer held it. */
  release(item: ReleaseItem): Promise<boolean> {
    return this.#batcher.run({
      run_id: item.run_id, lease: item.lease, seq: null, next_status: item.status, run_output: item.output, run_error: item.error,
    });
  }

  /** The same end inside a caller's transaction, not batched. */
  releaseOn(client: pg.PoolClient, item: ReleaseItem): Promise<boolean> {
    return this.#endOne(item.run_id, item.lease, item.status, item.output, item.error, client);
  }

  async #endOne(runId: string, lease: string, status: string, output: unknown, error: unknown, on: pg.Pool | pg.PoolClient): Promise<boolean> {
    const { rows } = await this.db.query(this.sql.runs.release, [runId, lease, status, json(output), json(error), this.notifyChannel], on);
    return rows.length > 0;
  }

  async #writeOne(item: JournalItem | EndItem, on: pg.Pool | pg.PoolClient): Promise<boolean> {
    if (item.seq === null) return this.#endOne(item.run_id, item.lease, item.next_status, item.run_output, item.run_error, on);
    const values: unknown[] = [
      item.run_id, item.lease, item.seq, item.kind, item.key, item.status, json(item.output), json(item.error), item.attempts,
      item.started_at, item.next_status, this.notifyChannel,
    ];
    const text = item.md === undefined ? this.sql.journal.writeOne : this.sql.journal.writeOneWithMetadata;
    if (item.md !== undefined) values.push(json(item.md), item.md_op, item.md_key, json(item.md_value));
    const { rows } = await this.db.query(text, values, on);
    return rows.length > 0;
  }

  async #writeMany(items: (JournalItem | EndItem)[], on: pg.Pool | pg.PoolClient): Promise<boolean[]> {
    if (items.length === 1) return [await this.#writeOne(items[0]!, on)];
    const text = items.some((item) => item.md !== undefined) ? this.sql.journal.writeManyWithMetadata : this.sql.journal.writeMany;
    const { rows } = await this.db.query<{ run_id: string }>(text, [JSON.stringify(items), this.notifyChannel], on);
    const landed = new Set(rows.map((r) => r.run_id));
    return items.map((item) => landed.has(item.run_id));
  }
}

/** A jsonb parameter: node-postgres would send a string as text and an array as a Postgres array. */
function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
