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

/**
 * Alert webhooks: a run's end that one calls for gets a row in `alert_deliveries` and a pg-boss
 * job in one transaction, and the job posts it, retried with backoff until the receiver answers
 * 2xx. Every attempt is recorded on the row.
 */
export class Alerts {
  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly scheduler: Scheduler,
    private readonly targets: readonly AlertTarget[],
    private readonly logger: Logger,
  ) {}

  /** Records and queues the alerts a run's end calls for; called once the end has committed. */
  async runEnded(run: { id: string; task_id: string }, status: RunStatus, error: SerializedError | null): Promise<void> {
    const event = alertEventOf(status, error);
    if (!event) return;
    const targets = this.targets.filter((t) => t.events.includes(event) && (t.tasks === undefined || t.tasks.includes(run.task_id)));
    if (targets.length === 0) return;
    const createdAt = new Date().toISOString();
    // No stack: it names server files, and the receiver is another system.
    const runError = error ? { name: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) } : null;
    try {
      await this.db.transaction(async (client) => {
        for (const target of targets) {
          const id = newId("alert");
          const body = JSON.stringify({ id, type: event, createdAt, run: { id: run.id, taskIdentifier: run.task_id, status, error: runError } });
          await this.db.query(this.sql.alerts.insert, [id, event, run.id, run.task_id, target.url, body], client);
          await this.scheduler.sendAlert(onClient(client), { deliveryId: id });
        }
      });
    } catch (failure) {
      this.logger.error("could not record a run's alert", { runId: run.id, event, error: (failure as Error).message });
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
