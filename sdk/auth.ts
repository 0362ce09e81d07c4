import { getBackend, type PublicTokenOptions, type TriggerPublicTokenOptions } from "./backend.ts";

/** Access tokens for browsers: short-lived, scoped to what they may read, or to one task they may trigger. */
export const auth = {
  /** A read-only token scoped to run ids, tags, batches and/or tasks. */
  async createPublicToken(options: PublicTokenOptions): Promise<string> {
    return (await getBackend()).createPublicToken(options);
  },
  /** A token that lets a browser trigger `taskId` (`useTaskTrigger`) and nothing else: once, or until it expires with `multipleUse`. */
  async createTriggerPublicToken(taskId: string, options: TriggerPublicTokenOptions = {}): Promise<string> {
    return (await getBackend()).createTriggerPublicToken(taskId, options);
  },
};
