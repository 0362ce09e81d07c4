import type { PoolClient } from "pg";
import type { PgBoss } from "pg-boss";
import type { RunStatus, SerializedError } from "../../wire/index.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import { newId } from "../ids.ts";
import { ALERT_QUEUE, onClient, type AlertJob } from "../jobs/job-sender.ts";
import { ALERT_RETRY_LIMIT, type Scheduler } from "../jobs/pg-boss.ts";
import type { Logger } from "../logger.ts";
import { alertEventOf, type AlertEvent } from "./alert-events.ts";
import { signatureHeader } from "./signature.ts";

/** A webhook the engine's `alerts` option names. */
export interface AlertTarget {
  url: string;
  events: AlertEvent[];
  /** Only runs of these tasks; default every task. */
  tasks?: string[] | undefined;
  /** Signs each request (`durably-signature`); the receiver checks with it. */
  secret: string;
}

/** A receiver that has not answered by then counts as a failed attempt. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** Ends looked at per url and sweep; a longer backlog moves on at the next sweep. */
const SWEEP_LIMIT = 500;

/**
 * Alert webhooks: a run's end that one calls for gets a row in `alert_deliveries` and a pg-boss
 * job in one transaction, and the job posts it, retried with backoff until the receiver answers
 * 2xx. Every attempt is recorded on the row. The process that ends a run records its alerts right
 * after the end commits; a sweep records those of ends whose process died in between.
 */
export class Alerts {
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly scheduler: Scheduler,
    private readonly targets: readonly AlertTarget[],
    private readonly logger: Logger,
    /** How long after a run's end the sweep looks for its alerts. */
    private readonly graceSeconds: number,
  ) {}

  /** Records and queues the alerts a run's end calls for; called once the end has committed. */
  async runEnded(run: { id: string; task_id: string }, status: RunStatus, error: SerializedError | null): Promise<void> {
    try {
      await this.db.transaction((client) => this.#record(client, this.targets, run, status, error));
    } catch (failure) {
      this.logger.error("could not record a run's alert", { runId: run.id, status, error: (failure as Error).message });
    }
  }

  /** Sweeps every `everyMs`; a url new to the database is swept from now on. */
  async startSweeping(everyMs: number): Promise<void> {
    await this.db.query(this.sql.alerts.startCursors, [[...new Set(this.targets.map((t) => t.url))]]);
    this.#timer = setInterval(() => {
      this.#sweeping ??= this.#sweep()
        .catch((error: Error) => this.logger.warn("alert sweep failed", { error: error.message }))
        .finally(() => (this.#sweeping = undefined));
    }, everyMs);
  }

  async stopSweeping(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sweeping;
  }

  /** Records the alerts of runs that ended since the last sweep and have none: their process died first. */
  async #sweep(): Promise<void> {
    for (const url of new Set(this.targets.map((t) => t.url))) {
      const targets = this.targets.filter((t) => t.url === url);
      await this.db.transaction(async (client) => {
        const { rows: [cursor] } = await this.db.query<{ swept_to: Date; upto: Date }>(this.sql.alerts.lockCursor, [url, this.graceSeconds], client);
        if (!cursor) return;
        const { rows } = await this.db.query<{ id: string; task_id: string; status: RunStatus; error: SerializedError | null; finished_at: Date }>(
          this.sql.alerts.missed, [url, cursor.swept_to, cursor.upto, SWEEP_LIMIT], client,
        );
        for (const run of rows) await this.#record(client, targets, run, run.status, run.error);
        const upto = rows.length === SWEEP_LIMIT ? rows.at(-1)!.finished_at : cursor.upto;
        await this.db.query(this.sql.alerts.advanceCursor, [url, upto], client);
        if (rows.length > 0) this.logger.info("alert sweep recorded missed run ends", { url, runs: rows.length });
      });
    }
  }

  async #record(
    client: PoolClient, targets: readonly AlertTarget[], run: { id: string; task_id: string }, status: RunStatus, error: SerializedError | null,
  ): Promise<void> {
    const event = alertEventOf(status, error);
    if (!event) return;
    const createdAt = new Date().toISOString();
    // No stack: it names server files, and the receiver is another system.
    const runError = error ? { name: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) } : null;
    for (const target of targets) {
      if (!target.events.includes(event) || (target.tasks !== undefined && !target.tasks.includes(run.task_id))) continue;
      const id = newId("alert");
      const body = JSON.stringify({ id, type: event, createdAt, run: { id: run.id, taskIdentifier: run.task_id, status, error: runError } });
      const { rows } = await this.db.query(this.sql.alerts.insert, [id, event, run.id, run.task_id, target.url, body], client);
      if (rows.length > 0) await this.scheduler.sendAlert(onClient(client), { deliveryId: id });
    }
  }

  /** Delivers queued alerts until the boss stops. */
  async work(boss: PgBoss): Promise<void> {
    await boss.work<AlertJob>(ALERT_QUEUE, { pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => {
      if (job) await this.#deliver(job.data.deliveryId, job.retryCount);
    });
  }

  async #deliver(deliveryId: string, retryCount: number): Promise<void> {
    const { rows } = await this.db.query<{ url: string; body: string; status: string }>(this.sql.alerts.get, [deliveryId]);
    const delivery = rows[0];
    if (!delivery || delivery.status === "DELIVERED") return;
    const target = this.targets.find((t) => t.url === delivery.url);
    const at = new Date();
    let answer: { status: number | null; error: string | null };
    if (!target) {
      answer = { status: null, error: "no alert in this engine's options has this url any more" };
    } else {
      answer = await post(delivery.url, delivery.body, signatureHeader(target.secret, delivery.body, at));
    }
    const delivered = answer.error === null;
    const last = !delivered && (retryCount >= ALERT_RETRY_LIMIT || !target);
    const status = delivered ? "DELIVERED" : last ? "FAILED" : "PENDING";
    await this.db.query(this.sql.alerts.recordAttempt, [deliveryId, { at: at.toISOString(), ...answer }, status]);
    if (!delivered && !last) throw new Error(`alert ${deliveryId} to ${delivery.url}: ${answer.error}`);
    if (last) this.logger.warn("alert not delivered, giving up", { deliveryId, url: delivery.url, error: answer.error });
  }
}

async function post(url: string, body: string, signature: string): Promise<{ status: number | null; error: string | null }> {
  try {
    const response = await fetch(url, {
      method: "POST", body, redirect: "manual", signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      headers: { "content-type": "application/json", "durably-signature": signature, "user-agent": "durably-alerts" },
    });
    await response.body?.cancel();
    return { status: response.status, error: response.ok ? null : `HTTP ${response.status}` };
  } catch (error) {
    return { status: null, error: (error as Error).message };
  }
}
