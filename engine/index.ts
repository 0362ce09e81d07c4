export { connect } from "./backends/direct.ts";
export type { Backend } from "../sdk/backend.ts";
export { createEngine, Engine } from "./engine.ts";
export type { EngineOptions } from "./engine.ts";
export { migrate } from "./migrate.ts";
