import { currentScope, requireScope, type MetadataOp, type MetadataTarget } from "./context.ts";
import type { Json, Metadata } from "./types.ts";

/** Changes to another run's metadata: each is a journaled io call of this run, durable once its promise resolves. */
export interface MetadataUpdater {
  set(key: string, value: Json): Promise<void>;
  del(key: string): Promise<void>;
  increment(key: string, by?: number): Promise<void>;
  decrement(key: string, by?: number): Promise<void>;
  append(key: string, value: Json): Promise<void>;
  /** Removes every item equal to `value` from the array at `key`. */
  remove(key: string, value: Json): Promise<void>;
}

function ancestor(target: MetadataTarget): MetadataUpdater {
  const write = async (op: MetadataOp, key: string, value: Json | undefined) => {
    await requireScope(`metadata.${target}.${op}`).writeAncestorMetadata(target, op, key, value);
  };
  return {
    set: (key, value) => write("set", key, value),
    del: (key) => write("del", key, undefined),
    increment: (key, by = 1) => write("increment", key, by),
    decrement: (key, by = 1) => write("increment", key, -by),
    append: (key, value) => write("append", key, value),
    remove: (key, value) => write("remove", key, value),
  };
}

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
  /** Removes every item equal to `value` from the array at `key`. */
  async remove(key: string, value: Json): Promise<void> {
    await requireScope("metadata.remove").writeMetadata("remove", key, value);
  },
  /**
   * The metadata of the run that triggered this one, changed atomically with this run's journal:
   * 100 children incrementing one key add exactly 100. A run without a parent changes nothing.
   */
  parent: ancestor("parent"),
  /** The metadata of the root of this run's tree (the run itself when it has no parent). */
  root: ancestor("root"),
};
