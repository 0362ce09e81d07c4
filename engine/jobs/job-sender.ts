import type pg from "pg";
import type { Db } from "pg-boss";

/**
 * What the rest of the engine knows of its pg-boss jobs, without loading pg-boss: a backend that
 * only triggers loads it on the first job it sends (see backends/lazy-jobs.ts), never for a run
 * that starts at once.
 */

export const RUN_QUEUE = "durably-run";
/** One job per upcoming schedule occurrence (see schedules/schedules.ts). */
export const SCHEDULE_QUEUE = "durably-schedule";

/** One job per alert webhook delivery, retried with backoff (see alerts/alerts.ts). */
export const ALERT_QUEUE = "durably-alert";

/** The delivery an alert job sends. */
export interface AlertJob {
  deliveryId: string;
}

/**
 * Why a run job exists; a fresh attempt counts towards `attempts`, a wake-up does not. "expire"
 * cancels a run that has not started by its ttl instead of executing it; "cancel" calls the
 * `onCancel` hooks of a run canceled while no execution held it. "turn" starts a run waiting in a
 * limited queue whose turn came (the job of a run behind it found room), if it is still waiting.
 */
export type RunJobReason = "start" | "retry" | "wake" | "resume" | "expire" | "cancel" | "turn";

export interface RunJob {
  runId: string;
  reason: RunJobReason;
}

/** The job that fires one occurrence of a schedule. */
export interface TickJob {
  scheduleId: string;
  /** The occurrence this job fires, ISO 8601. */
  at: string;
}

export function bossSchemaOf(schema: string): string {
  return `${schema}_boss`;
}

/** pg-boss statements run on our client, so a job commits or rolls back with the run it belongs to. */
export function onClient(client: pg.ClientBase | pg.Pool): Db {
  return { executeSql: (text, values) => client.query(text, values as unknown[]) };
}

/** What triggering, waking and scheduling runs ask of pg-boss. */
export interface JobSender {
  /** Sends on `db` (a transaction's client) so the job commits with it, or on pg-boss's own connection for null. */
  send(db: Db | null, job: RunJob, startAfter?: Date): Promise<void>;
  /** Many jobs in one statement, for a batch of triggers. */
  sendMany(db: Db, jobs: { job: RunJob; startAfter?: Date | undefined }[]): Promise<void>;
  /** The job for a schedule's occurrence `tick.at`, due then. */
  sendTick(db: Db, tick: TickJob): Promise<void>;
  /** The first occurrence of `cron` (read in `timezone`) after `from`; rejects an invalid expression. */
  nextOccurrence(cron: string, timezone: string, from: Date): Promise<Date | undefined>;
}
