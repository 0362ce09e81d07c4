import type { Definition } from "../sdk/definition.ts";
import type { EngineParts } from "./parts.ts";
import type { Service } from "./runs-api.ts";

/**
 * What in-repo code (the CLI, tests, benches) reaches inside an engine. Kept off `Engine` and out
 * of durably/engine, whose operators get the engine's lifecycle only: the pool, the raw
 * statements and the run API behind the SDK are not theirs to build on.
 */
interface EngineInternals {
  /** Throws until the engine is started. */
  parts(): EngineParts;
  definitions: readonly Definition[];
}

const internals = new WeakMap<object, EngineInternals>();

export function exposeInternals(engine: object, value: EngineInternals): void {
  internals.set(engine, value);
}

function of(engine: object): EngineInternals {
  const found = internals.get(engine);
  if (!found) throw new Error("Not an engine made by createEngine()");
  return found;
}

export const partsOf = (engine: object): EngineParts => of(engine).parts();
export const serviceOf = (engine: object): Service => of(engine).parts().service;
export const definitionsOf = (engine: object): readonly Definition[] => of(engine).definitions;
