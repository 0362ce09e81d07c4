import type { MetadataOp } from "../../sdk/context.ts";
import type { Json, Metadata } from "../../sdk/types.ts";
import { InvalidPayloadError } from "../../sdk/errors.ts";

/** The metadata after one operation; pure, so replay rebuilds the same object. */
export function applyMetadataOp(current: Metadata, op: MetadataOp, key: string, value: Json | undefined): Metadata {
  const next: Metadata = { ...current };
  switch (op) {
    case "set":
      if (value === undefined) delete next[key];
      else next[key] = value;
      return next;
    case "del":
      delete next[key];
      return next;
    case "increment": {
      const by = value ?? 1;
      const before = next[key] ?? 0;
      if (typeof by !== "number" || typeof before !== "number") {
        throw new InvalidPayloadError(`metadata.increment("${key}") needs numbers, found ${typeof before} and ${typeof by}`);
      }
      next[key] = before + by;
      return next;
    }
    case "append": {
      const before = next[key];
      const list = before === undefined ? [] : Array.isArray(before) ? before : [before];
      next[key] = [...list, value ?? null];
      return next;
    }
    case "remove": {
      const before = next[key];
      if (!Array.isArray(before)) return next;
      const removed = JSON.stringify(value ?? null);
      next[key] = before.filter((item) => JSON.stringify(item) !== removed);
      return next;
    }
  }
}
