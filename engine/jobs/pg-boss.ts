import { PgBoss, type Db, type JobWithMetadata } from "pg-boss";
import type pg from "pg";
import type { Logger } from "../logger.ts";
import { Batcher } from "../db/batcher.ts";
import { ALERT_QUEUE, bossSchemaOf, onClient, RUN_QUEUE, SCHEDULE_QUEUE, type AlertJob, type JobSender, type RunJob, type TickJob } from "./job-sender.ts";

export interface BossOptions {
  /**
   * The pooled URL will do, even a pooler in transaction mode: pg-boss 12 LISTENs only with
   * `useListenNotify` (off: durably wakes its workers itself), takes only transaction-level
   * advisory locks, sets no session state and sends unnamed statements.
   */
  databaseUrl: string;
  schema: string;
  heartbeatSeconds: number;
  recoverySeconds: number;
  supervise: boolean;
  /** Where pg-boss runs its statements instead of a pool of its own (see `sendOnly`). */
  db?: Db;
}

/**
 * Attempts of an alert after its first, with backoff from about 1 s doubling up to an hour (pg-boss
 * adds jitter): the last is 3 to 4 hours after the first.
 */
export const ALERT_RETRY_LIMIT = 14;

/** pg-boss holds the run jobs: start, retry and wake-up times, and hands runs of dead workers back. */
export class Scheduler implements JobSender {
  readonly boss: PgBoss;
  readonly #options: BossOptions;
  readonly #completions = new Batcher<string, void>(
    async (ids) => {
      await this.boss.complete(RUN_QUEUE, ids);
      return ids.map(() => undefined);
    },
    { maxBatch: 100, concurrency: 1 },
  );

  constructor(options: BossOptions, logger: Logger) {
    this.#options = options;
    this.boss = new PgBoss({
      ...(options.db ? { db: options.db } : { connectionString: options.databaseUrl, max: 10, application_name: "durably-scheduler" }),
      schema: bossSchemaOf(options.schema),
      supervise: options.supervise,
      superviseIntervalSeconds: options.recoverySeconds,
      monitorIntervalSeconds: options.recoverySeconds,
      schedule: false,
      registerInstance: false,
      openTelemetry: { enabled: false },
    });
    this.boss.on("error", (error: Error) => logger.warn("scheduler error", { error: error.message }));
  }

  /**
   * For a process that triggers runs and executes none: pg-boss is never started and runs its
   * statements on `pool` (or the caller's transaction), so it opens no connection, LISTEN or timer
   * of its own. Sending needs the tables and queues `installScheduler` made.
   */
  static sendOnly(pool: pg.Pool, options: Omit<BossOptions, "db" | "supervise">, logger: Logger): Scheduler {
    return new Scheduler({ ...options, supervise: false, db: onClient(pool) }, logger);
  }

  async start(): Promise<void> {
    await this.boss.start();
    await this.boss.createQueue(RUN_QUEUE, {
      // pg-boss refuses a job heartbeat under 10 s: a shorter one holds for runs without a job.
      heartbeatSeconds: Math.max(10, this.#options.heartbeatSeconds),
      // A job is retried only when its worker died (heartbeat lost): task failures reschedule
      // through `send`, so this limit bounds crash loops, not user retries.
      retryLimit: 20,
      retryDelay: 0,
      expireInSeconds: 60 * 60 * 24,
      deleteAfterSeconds: 60 * 60 * 24,
    });
    await this.boss.createQueue(SCHEDULE_QUEUE, { retryLimit: 20, retryDelay: 1, expireInSeconds: 60, deleteAfterSeconds: 60 * 60 });
    await this.boss.createQueue(ALERT_QUEUE, {
      retryLimit: ALERT_RETRY_LIMIT, retryDelay: 1, retryBackoff: true, retryDelayMax: 60 * 60,
      expireInSeconds: 60, deleteAfterSeconds: 60 * 60 * 24 * 7,
    });
  }

  async sendAlert(db: Db, job: AlertJob): Promise<void> {
    await this.boss.send(ALERT_QUEUE, job, { db });
  }

  async send(db: Db | null, job: RunJob, startAfter?: Date): Promise<void> {
    await this.boss.send(RUN_QUEUE, job, { ...(db ? { db } : {}), ...(startAfter ? { startAfter } : {}) });
  }

  async sendMany(db: Db, jobs: { job: RunJob; startAfter?: Date | undefined }[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.boss.insert(RUN_QUEUE, jobs.map(({ job, startAfter }) => ({ data: job, ...(startAfter ? { startAfter } : {}) })), { db });
  }

  async sendTick(db: Db, tick: TickJob): Promise<void> {
    await this.boss.send(SCHEDULE_QUEUE, tick, { db, startAfter: new Date(tick.at) });
  }

  async nextOccurrence(cron: string, timezone: string, from: Date): Promise<Date | undefined> {
    return this.boss.previewSchedule(cron, { tz: timezone, from, count: 1 })[0];
  }

  fetch(max: number): Promise<JobWithMetadata<RunJob>[]> {
    return this.boss.fetch<RunJob>(RUN_QUEUE, { batchSize: max, includeMetadata: true });
  }

  /** Settles a job; jobs finishing together are completed in one statement. */
  complete(id: string): Promise<void> {
    return this.#completions.run(id);
  }

  /** Gives a job back at once, for a worker that stops before finishing it. */
  async giveBack(id: string): Promise<void> {
    await this.boss.fail(RUN_QUEUE, id, { reason: "worker stopped" });
  }

  async touch(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.boss.touch(RUN_QUEUE, ids);
  }

  stop(): Promise<void> {
    return this.boss.stop({ graceful: false, close: true });
  }
}

/** Installs (or upgrades) pg-boss's tables and durably's queues, as `durably migrate` does, then lets go. */
export async function installScheduler(options: Omit<BossOptions, "db" | "supervise">, logger: Logger): Promise<void> {
  const scheduler = new Scheduler({ ...options, supervise: false }, logger);
  try {
    await scheduler.start();
  } finally {
    await scheduler.stop();
  }
}
