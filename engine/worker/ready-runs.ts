import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { Channels } from "../notify/listener.ts";

/** A run this worker claimed from the ready runs, by its lease. */
export interface HeldRun {
  id: string;
  lease: string;
}

/**
 * The runs a worker claims straight from `runs` (`BatchedWrites.claimReady`), with no pg-boss job
 * behind them: a run that can start at once costs no statement of its own to claim or settle.
 * What a job's heartbeat does for the other runs, `heartbeat_at` does for these.
 */
export class ReadyRuns {
  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly channels: Pick<Channels, "run" | "wake">,
  ) {}

  async heartbeat(runs: HeldRun[]): Promise<void> {
    if (runs.length === 0) return;
    await this.db.query(this.sql.runs.heartbeat, [runs.map((r) => r.id), runs.map((r) => r.lease)]);
  }

  /** Makes a run this worker stops executing ready again, for any worker. */
  async giveBack(run: HeldRun): Promise<void> {
    await this.db.query(this.sql.runs.giveBack, [run.id, run.lease, this.channels.run, this.channels.wake]);
  }

  /** Makes the runs of workers silent for `heartbeatSeconds` ready again; returns how many. */
  async recoverLapsed(heartbeatSeconds: number): Promise<number> {
    const { rows } = await this.db.query(this.sql.runs.readyLapsed, [heartbeatSeconds, this.channels.run, this.channels.wake]);
    return rows.length;
  }
}
