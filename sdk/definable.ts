import type { Definition } from "./definition.ts";

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
