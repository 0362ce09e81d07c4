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
  /** Resumes a paused schedule at its next occurrence after now (Trigger.dev's name). */
  async activate(id: string): Promise<ScheduleRecord> {
    return (await getBackend()).setScheduleActive(id, true);
  },
  /** Pauses a schedule: it fires nothing until `activate` (Trigger.dev's name). */
  async deactivate(id: string): Promise<ScheduleRecord> {
    return (await getBackend()).setScheduleActive(id, false);
  },
};
