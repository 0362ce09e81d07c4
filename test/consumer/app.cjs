// CommonJS in the same app: Node's require(esm) loads each entry point.
const sdk = require("durably");
const engine = require("durably/engine");
const react = require("durably/react");
console.log(JSON.stringify({ task: typeof sdk.task, createEngine: typeof engine.createEngine, DurablyProvider: typeof react.DurablyProvider }));
