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

/**
 * "queue-full": `opensAt` is when the run's rate limit lets it start, when that is what held it
 * back; `turnOf` the run of its queue that ranks before it and could start now, when that is what
 * held it back. "deferred": a debounced run whose start a later trigger pushed back to `until`.
 */
export type Claim =
  | { type: "claimed"; row: ClaimedRow }
  | { type: "queue-full"; opensAt?: Date; turnOf?: string }
  | { type: "deferred"; until: Date }
  | { type: "nothing-to-do" };

interface Blocker {
  status: RunRow["status"];
  queue: string | null;
  concurrency_key: string | null;
  concurrency_limit: number | null;
  rate_limit: number | null;
  deferred_until: Date | null;
  deferral_lapsed: boolean;
}

/**
 * Takes the run for one execution. A run without a concurrency or rate limit is one (batched)
 * statement; a run in a limited queue is claimed under that queue's advisory lock, so that two
 * workers never both see a free slot or room in the rate limit's period, and only when no run of
 * its queue ranks before it (priority, then readiness: see db/sql/queues.ts). "queue-full" leaves
 * the run QUEUED for the caller to try again: shortly, or when its rate limit opens. `turn`: the
 * job is a turn job (another run's job found room and the run first in line), which only takes a
 * run still waiting in its queue and otherwise leaves it to its own job.
 */
export async function claimRun(
  db: Database,
  sql: Statements,
  writes: BatchedWrites,
  namespace: string,
  args: { runId: string; lease: string; countsAsAttempt: number; takeover: boolean; notifyChannel: string; turn?: boolean },
): Promise<Claim> {
  const claim = () => writes.claim({ run_id: args.runId, lease: args.lease, counts: args.countsAsAttempt, takeover: args.takeover });
  const blockerOf = async () => (await db.query<Blocker>(sql.runs.claimBlocker, [args.runId])).rows[0];
  const claimed = await claim();
  if (claimed) return { type: "claimed", row: claimed };
  const turn = args.turn === true;
  let blocker = await blockerOf();
  const limited = blocker && (blocker.concurrency_limit !== null || blocker.rate_limit !== null);
  if (blocker?.deferral_lapsed && !limited && !turn) {
    // The claim found the debounced run not due, and its start came before this look: it is due
    // now, and this job is the only one it has. Left, the run would stay QUEUED for good.
    const again = await claim();
    if (again) return { type: "claimed", row: again };
    blocker = await blockerOf();
  }
  if (blocker?.deferred_until) return turn ? { type: "nothing-to-do" } : { type: "deferred", until: blocker.deferred_until };
  if (!blocker || !limited || !["QUEUED", "WAITING"].includes(blocker.status)) return { type: "nothing-to-do" };
  const { queue, concurrency_key: concurrencyKey, rate_limit: rateLimit } = blocker;
  return db.transaction(async (client) => {
    await db.query(sql.runs.queueLock, [`${namespace}:${queue}:${concurrencyKey ?? ""}`], client);
    const values = [args.runId, args.lease, args.countsAsAttempt, args.notifyChannel, turn];
    const claimed = await db.query<ClaimedRow>(sql.queues.claim, values, client);
    if (claimed.rows[0]) return { type: "claimed", row: claimed.rows[0] };
    if (turn) return { type: "nothing-to-do" };
    const first = await db.query<{ turn_of: string }>(sql.queues.waitTurn, [args.runId], client);
    if (first.rows[0]) return { type: "queue-full", turnOf: first.rows[0].turn_of };
    if (rateLimit === null) return { type: "queue-full" };
    const { rows } = await db.query<{ opens_at: Date }>(sql.queues.rateLimitOpensAt, [args.runId], client);
    return rows[0] ? { type: "queue-full", opensAt: rows[0].opens_at } : { type: "queue-full" };
  });
}
