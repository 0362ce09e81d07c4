// The layering of design.md's "Boundaries", checked by test/layering.test.ts and `npm run lint:deps`.
// Type-only imports count: a cycle of types still ties modules together for a reader.
const DIRECT_BACKEND = "^engine/backends/direct\\.ts$";

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment:
        "No import cycles. The one way around is sdk/backend.ts's lazy import of the direct backend, which " +
        "is engine code implementing the SDK's Backend: cycles closed by that edge are its nature.",
      severity: "error",
      from: { pathNot: DIRECT_BACKEND },
      to: { circular: true, viaOnly: { pathNot: DIRECT_BACKEND } },
    },
    {
      name: "wire-stands-alone",
      comment: "wire/ is loaded by the browser bundle: it imports nothing.",
      severity: "error",
      from: { path: "^wire/" },
      to: { pathNot: "^wire/" },
    },
    {
      name: "react-speaks-http",
      comment: "react/ speaks only HTTP/SSE: it imports neither engine/ nor sdk/ (the wire types are in wire/).",
      severity: "error",
      from: { path: "^react/" },
      to: { path: "^(engine|sdk)/" },
    },
    {
      name: "sdk-not-engine",
      comment: "sdk/ reaches the engine through the Backend interface, never by importing engine/.",
      severity: "error",
      from: { path: "^sdk/", pathNot: "^sdk/backend\\.ts$" },
      to: { path: "^engine/" },
    },
    {
      name: "sdk-loads-only-the-direct-backend",
      comment: "sdk/backend.ts's one way into engine/: the direct backend, imported lazily.",
      severity: "error",
      from: { path: "^sdk/backend\\.ts$" },
      to: { path: "^engine/", pathNot: DIRECT_BACKEND },
    },
    {
      name: "direct-backend-stays-lazy",
      comment: "Loaded on first use: a process that never triggers opens no pool, one over HTTP never loads pg.",
      severity: "error",
      from: { path: "^sdk/backend\\.ts$" },
      to: { path: DIRECT_BACKEND, dependencyTypesNot: ["dynamic-import"] },
    },
  ],
  options: {
    // TypeScript 7.0 has no compiler API for dependency-cruiser to parse with; swc parses the sources.
    parser: "swc",
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
  },
};
