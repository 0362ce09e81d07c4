export { createEngine, connect, Engine } from "./engine.ts";
export type { EngineOptions } from "./engine.ts";
export { migrate } from "./migrate.ts";
