import { currentScope, requireScope } from "./context.ts";
import type { Json, Metadata } from "./types.ts";

/**
 * Run metadata, v3 style. Reads see the run's current metadata; each write is a journaled io
 * call, durable once its promise resolves, and replays to the same value after a retry.
 */
export const metadata = {
  // `any` on purpose: the seed reads `metadata.get("user").name` without a cast.
  get(key: string): any {
    return currentScope()?.metadata()[key];
  },
  current(): Metadata {
    return { ...(currentScope()?.metadata() ?? {}) };
  },
  async set(key: string, value: Json): Promise<void> {
    await requireScope("metadata.set").writeMetadata("set", key, value);
  },
  async del(key: string): Promise<void> {
    await requireScope("metadata.del").writeMetadata("del", key, undefined);
  },
  async increment(key: string, by = 1): Promise<void> {
    await requireScope("metadata.increment").writeMetadata("increment", key, by);
  },
  async decrement(key: string, by = 1): Promise<void> {
    await requireScope("metadata.decrement").writeMetadata("increment", key, -by);
  },
  async append(key: string, value: Json): Promise<void> {
    await requireScope("metadata.append").writeMetadata("append", key, value);
  },
};
