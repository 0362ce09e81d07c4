/**
 * A batch's items in the order its statement locks their runs: the planner probes each item's run
 * in turn (`batchItems`, db/sql/batch.ts), and every statement that waits for several runs' locks must take
 * them in one order (`lockOrder`, db/sql/runs.ts). Without it a journal batch and the heartbeat
 * deadlocked now and then, and the lane stood still for Postgres's deadlock_timeout.
 */
export const byRunId = (a: { run_id: string }, b: { run_id: string }): number => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0);
