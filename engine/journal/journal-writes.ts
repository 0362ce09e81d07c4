import type pg from "pg";
import { Batcher } from "../db/batcher.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";

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
  st_key?: string;
  st_label?: string;
  st_state?: string | null;
  st_data?: unknown;
  md?: unknown;
  md_op?: string;
  md_key?: string;
  md_value?: unknown;
}

/**
 * The engine's journal writes, shared by every execution in the process: concurrent writes of
 * different runs go to Postgres together, one statement and one commit per batch.
 */
export class JournalWrites {
  readonly #batcher: Batcher<JournalItem, boolean>;

  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly notifyChannel: string,
  ) {
    this.#batcher = new Batcher((items) => this.#writeMany(items, this.db.pool), {
      maxBatch: 64,
      concurrency: 2,
      key: (item) => item.run_id,
    });
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

  async #writeMany(items: JournalItem[], on: pg.Pool | pg.PoolClient): Promise<boolean[]> {
    const { rows } = await this.db.query<{ run_id: string }>(this.sql.journal.writeMany, [JSON.stringify(items), this.notifyChannel], on);
    const landed = new Set(rows.map((r) => r.run_id));
    return items.map((item) => landed.has(item.run_id));
  }
}
