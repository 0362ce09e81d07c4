import type { Definition } from "./definition.ts";
import { DuplicateTaskError } from "./errors.ts";

/** Where a task or client keeps what the engine needs, out of sight of autocomplete. */
export const DEFINITIONS = Symbol.for("durably.definitions");

export interface Definable {
  readonly [DEFINITIONS]: () => Definition[];
}

export function definitionsOf(value: Definable): Definition[] {
  const get = (value as Partial<Definable>)[DEFINITIONS];
  if (typeof get !== "function") throw new TypeError("Expected a task or a Client");
  return get();
}

export function isDefinable(value: unknown): value is Definable {
  return typeof value === "object" && value !== null && typeof (value as Partial<Definable>)[DEFINITIONS] === "function";
}

/**
 * The definitions of `definables`, each once. The same definition reached twice (a task listed
 * both on its own and through a client, or exported under two names) counts once; two different
 * ones with one id and version are refused, since runs would only ever find the first.
 */
export function uniqueDefinitions(definables: readonly Definable[]): Definition[] {
  const byKey = new Map<string, Definition>();
  for (const definition of definables.flatMap(definitionsOf)) {
    const key = `${definition.id}@${definition.version}`;
    const seen = byKey.get(key);
    if (seen && seen !== definition) throw new DuplicateTaskError(definition.id, definition.version);
    byKey.set(key, definition);
  }
  return [...byKey.values()];
}
