import type { Db } from "pg-boss";
import type { JobSender, RunJob, TickJob } from "../jobs/job-sender.ts";

/**
 * A JobSender that loads pg-boss on the first job it sends (a delayed run, a ttl, a retry, a
 * schedule): a backend whose triggers start at once never loads it, which spares a cold start
 * (a serverless function's first trigger) the few hundred milliseconds pg-boss takes to import.
 */
export function lazyJobSender(load: () => Promise<JobSender>): JobSender {
  let loaded: Promise<JobSender> | undefined;
  const sender = () => {
    const loading = (loaded ??= load());
    // A failed load is not kept: the next job tries again.
    loading.catch(() => loaded === loading && (loaded = undefined));
    return loading;
  };
  return {
    send: async (db: Db | null, job: RunJob, startAfter?: Date) => (await sender()).send(db, job, startAfter),
    sendMany: async (db, jobs) => {
      if (jobs.length > 0) await (await sender()).sendMany(db, jobs);
    },
    sendTick: async (db: Db, tick: TickJob) => (await sender()).sendTick(db, tick),
    nextOccurrence: async (cron, timezone, from) => (await sender()).nextOccurrence(cron, timezone, from),
  };
}
