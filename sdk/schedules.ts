import { getBackend } from "./backend.ts";
import type { CreateScheduleOptions, ScheduleRecord } from "./types.ts";

/** Cron schedules that trigger a task; each fired run's payload is a `ScheduledPayload`. */
export const schedules = {
  /** Creates the schedule, or updates the one with the same `deduplicationKey`. */
  async create(options: CreateScheduleOptions): Promise<ScheduleRecord> {
    return (await getBackend()).createSchedule(options);
  },
  async list(filter: { task?: string | undefined } = {}): Promise<ScheduleRecord[]> {
    return (await getBackend()).listSchedules(filter);
  },
  async del(id: string): Promise<{ id: string }> {
    return (await getBackend()).deleteSchedule(id);
  },
};
