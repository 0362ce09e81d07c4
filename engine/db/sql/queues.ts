import { notifyRun } from "./notify.ts";
import { queueReadySince, readySince } from "./ready-since.ts";
import { claimReturning, claimSet, notDeferred, notExpired, startedInPeriod } from "./runs.ts";

/** `r`'s queue and key have a slot free (or no concurrency limit). */
const slotFree = (s: string, r: string) => `(${r}.concurrency_limit IS NULL OR (
        SELECT count(*) FROM ${s}.runs o
        WHERE o.queue = ${r}.queue AND o.concurrency_key IS NOT DISTINCT FROM ${r}.concurrency_key AND o.status = 'EXECUTING'
      ) < ${r}.concurrency_limit)`;

/** `r`'s rate limit's period has room for one more start. */
const rateRoom = (s: string, r: string) => `(SELECT count(*) ${startedInPeriod(s, r)}) < ${r}.rate_limit`;

/** Starting `r` now takes what its queue is short of: a slot, or for a first start room in the rate limit's period. */
const takesRoom = (r: string) => `(${r}.concurrency_limit IS NOT NULL OR ${r}.rate_limit IS NOT NULL AND ${r}.started_at IS NULL)`;

/**
 * The best run of `r`'s queue and key that ranks before `r` and could start now (room permitting):
 * one that became ready there (its job fell due, or it was triggered) and is not held back by a
 * debounce, its ttl or its own limits (task versions sharing a queue may differ: a run that
 * cannot start must not hold back one that can). An index scan of runs_queue_turn_idx in rank
 * order: it keys on `coalesce(concurrency_key, '')` because neither `IS NOT DISTINCT FROM` nor
 * `IS NULL` lets the planner read the rank order from the index (it sorted every waiting run).
 */
const ahead = (s: string, r: string) => `(
          SELECT c.id FROM ${s}.runs c
          WHERE c.queue = ${r}.queue AND coalesce(c.concurrency_key, '') = coalesce(${r}.concurrency_key, '')
            AND c.concurrency_key IS NOT DISTINCT FROM ${r}.concurrency_key
            AND c.queue_ready_at IS NOT NULL AND c.status IN ('QUEUED', 'WAITING')
            AND (c.queue_ready_at, c.id) < (${queueReadySince(r)}, ${r}.id)
            AND ${notExpired("c")} AND ${notDeferred("c")}
            AND ${slotFree(s, "c")} AND (c.rate_limit IS NULL OR c.started_at IS NOT NULL OR ${rateRoom(s, "c")})
          ORDER BY c.queue_ready_at, c.id LIMIT 1)`;

/**
 * Statements of queues with a concurrency limit or a rate limit, whose runs start through their
 * jobs one at a time, each under its queue's advisory lock (`runs.queueLock`), so the counts see
 * every claim committed before it. Priority orders them as it orders ready runs: a job that finds
 * room takes its run only if no run of the queue ranks before it (`ahead`); otherwise it hands
 * that run its turn (a "turn" job, worker/execute-run.ts) and tries again later.
 */
export function queueStatements(s: string) {
  return {
    /**
     * Takes run $1 if its queue has a free slot and, for a run's first start, room in its rate
     * limit's period (a retry or a wake-up is no new start), and no run ranks before it. $3 counts
     * as an attempt; $5 true for a turn job, which takes only a run still waiting in its queue
     * (one claimed since, by its own job, is not taken again) and counts a start or retry as
     * the run's own job would (a WAITING run is woken, QUEUED is a start or a retry).
     */
    claim: `
      UPDATE ${s}.runs r SET ${claimSet("$2", "CASE WHEN $5::boolean THEN CASE WHEN r.status = 'QUEUED' THEN 1 ELSE 0 END ELSE $3::integer END", "NULL")},
        queue_ready_at = NULL
      WHERE r.id = $1 AND ${notExpired("r")} AND ${notDeferred("r")} AND r.status IN ('QUEUED', 'WAITING')
        AND (NOT $5::boolean OR r.queue_ready_at IS NOT NULL)
        AND ${slotFree(s, "r")} AND (r.rate_limit IS NULL OR r.started_at IS NOT NULL OR ${rateRoom(s, "r")})
        AND NOT (${takesRoom("r")} AND EXISTS ${ahead(s, "r")})
      ${claimReturning(s)}, ${notifyRun("r", "$4")}`,

    /**
     * After `claim` took nothing, in its transaction: run $1 waits in its queue from now (unless
     * it already did), and the run that ranks before it and could start now, if the queue has
     * room for it: the run whose turn it is.
     */
    waitTurn: `
      WITH waiting AS (
        UPDATE ${s}.runs r SET queue_ready_at = ${readySince("r.priority")}
        WHERE r.id = $1 AND r.queue_ready_at IS NULL AND r.status IN ('QUEUED', 'WAITING') AND ${notExpired("r")} AND ${notDeferred("r")}
      )
      SELECT turn.id AS turn_of FROM ${s}.runs r, LATERAL ${ahead(s, "r")} turn
      WHERE r.id = $1 AND ${takesRoom("r")} AND ${slotFree(s, "r")}`,

    /**
     * When a run held back by its rate limit may start: when the oldest of the last `rate_limit`
     * starts leaves the period. No row when the period has room (a full queue held it back).
     */
    rateLimitOpensAt: `
      SELECT o.started_at + make_interval(secs => r.rate_period_ms / 1000.0) AS opens_at
      FROM ${s}.runs r, LATERAL (SELECT o.started_at ${startedInPeriod(s, "r")}
        ORDER BY o.started_at DESC OFFSET r.rate_limit - 1 LIMIT 1) o
      WHERE r.id = $1 AND r.rate_limit IS NOT NULL AND r.started_at IS NULL`,
  };
}
