import type { Database } from "../db/database.ts";
import type { ClaimedRow, RunRow } from "../db/rows.ts";
import type { Statements } from "../db/sql/index.ts";
import type { BatchedWrites } from "../journal/batched-writes.ts";
import type { JournalTuple } from "../journal/recorded-call.ts";

/**
 * The claimed run with a journal holding every entry committed before the claim. A claim that
 * waited for an older execution's write read the journal from before that write; replaying it,
 * the new execution would run that step again and find its own write refused.
 */
export async function withCompleteJournal(db: Database, sql: Statements, row: ClaimedRow): Promise<ClaimedRow> {
  if (Number(row.journal_revision) === Number(row.revision) - 1) return row;
  const { rows } = await db.query<{ journal: JournalTuple[] }>(sql.runs.journalOf, [row.id]);
  return { ...row, journal: rows[0]!.journal };
}

export type Claim = { type: "claimed"; row: ClaimedRow } | { type: "queue-full" } | { type: "nothing-to-do" };

interface Blocker {
  status: RunRow["status"];
  queue: string | null;
  concurrency_key: string | null;
  concurrency_limit: number | null;
}

/**
 * Takes the run for one execution. A run without a concurrency limit is one (batched) statement; a run in
 * a limited queue is claimed under that queue's advisory lock, so that two workers never both
 * see a free slot. "queue-full" leaves the run QUEUED for the caller to try again shortly.
 */
export async function claimRun(
  db: Database,
  sql: Statements,
  writes: BatchedWrites,
  namespace: string,
  args: { runId: string; lease: string; countsAsAttempt: number; notifyChannel: string },
): Promise<Claim> {
  const values = [args.runId, args.lease, args.countsAsAttempt, args.notifyChannel];
  const claimed = await writes.claim({ run_id: args.runId, lease: args.lease, counts: args.countsAsAttempt });
  if (claimed) return { type: "claimed", row: claimed };
  const blocker = (await db.query<Blocker>(sql.runs.claimBlocker, [args.runId])).rows[0];
  if (!blocker || blocker.concurrency_limit === null || !["QUEUED", "WAITING"].includes(blocker.status)) return { type: "nothing-to-do" };
  return db.transaction(async (client) => {
    await db.query(sql.runs.queueLock, [`${namespace}:${blocker.queue}:${blocker.concurrency_key ?? ""}`], client);
    const limited = await db.query<ClaimedRow>(sql.runs.claimLimited, values, client);
    return limited.rows[0] ? { type: "claimed", row: limited.rows[0] } : { type: "queue-full" };
  });
}
