import type pg from "pg";
import type { WaitTokenOutcome } from "../../sdk/waitpoints.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import { onClient, type JobSender } from "../jobs/job-sender.ts";
import { decode } from "../serialize.ts";
import { wakeRuns } from "./wake-runs.ts";

export interface AwaitTokenDeps {
  db: Database;
  sql: Statements;
  scheduler: JobSender;
  notifyChannel: string;
  wakeChannel: string;
}

export type TokenWait =
  | { type: "settled"; outcome: WaitTokenOutcome }
  /** The run let go (WAITING); a completion wakes it, and so does its job at `timeoutAt`. */
  | { type: "suspended"; timeoutAt: Date | null }
  | { type: "lost" }
  | { type: "not-found" };

/**
 * The run's side of `wait.forToken`, in the transaction of the execution holding the run: it
 * registers on the token and lets go of the run, or, when the token no longer waits, returns how
 * it was settled (for the caller to journal in this same transaction). The token's row lock
 * orders this against a completion (see `complete` in db/sql/waitpoints.ts): a completion that
 * commits first is read here; one that commits after names this run and wakes it.
 */
export async function awaitToken(
  deps: AwaitTokenDeps, client: pg.PoolClient, run: { id: string; lease: string }, tokenId: string, entry: { seq: number; startedAt: Date },
): Promise<TokenWait> {
  const { db, sql } = deps;
  const fenced = await db.query<{ status: string | null; output: unknown }>(sql.waitpoints.fenceAndRead, [run.id, run.lease, tokenId], client);
  if (!fenced.rows[0]) return { type: "lost" };
  const stored = fenced.rows[0];
  if (stored.status === null) return { type: "not-found" };
  if (stored.status !== "WAITING") return { type: "settled", outcome: outcomeOf(stored) };
  const registered = await db.query<{ timeout_at: Date | null }>(sql.waitpoints.register, [tokenId, run.id], client);
  if (registered.rows[0]) {
    await db.query(sql.runs.suspendOnToken, [run.id, run.lease, deps.notifyChannel, tokenId, entry.seq, entry.startedAt], client);
    const timeoutAt = registered.rows[0].timeout_at;
    if (timeoutAt) await deps.scheduler.send(onClient(client), { runId: run.id, reason: "wake" }, timeoutAt);
    return { type: "suspended", timeoutAt };
  }
  // Not waiting any more: due to time out (this run records it, and wakes the token's other
  // runs), or settled already.
  const timedOut = await db.query<{ run_ids: string[] }>(sql.waitpoints.timeOut, [tokenId], client);
  if (timedOut.rows[0]) await wakeRuns(deps, client, timedOut.rows[0].run_ids.filter((id) => id !== run.id));
  const { rows } = await db.query<{ status: string; output: unknown }>(sql.waitpoints.outcome, [tokenId], client);
  if (!rows[0]) return { type: "not-found" };
  return { type: "settled", outcome: outcomeOf(rows[0]) };
}

/** The outcome of a token settled in its row (COMPLETED or TIMED_OUT), read without a lock; else undefined. */
export async function settledOutcome(db: Database, sql: Statements, tokenId: string): Promise<WaitTokenOutcome | undefined> {
  const { rows } = await db.query<{ status: string; output: unknown }>(sql.waitpoints.outcome, [tokenId]);
  return rows[0] && rows[0].status !== "WAITING" ? outcomeOf(rows[0]) : undefined;
}

function outcomeOf(row: { status: string | null; output: unknown }): WaitTokenOutcome {
  return row.status === "COMPLETED" ? { ok: true, output: decode(row.output) } : { ok: false };
}
