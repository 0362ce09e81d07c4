#!/usr/bin/env node
// Entry point of the `durably` command: TypeScript entry files load through tsx, no build step.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`durably needs Node.js >= 22.12 (pg-boss 12 does); this is ${process.version}\n`);
  process.exit(1);
}
const { register } = await import("tsx/esm/api");
register();
await import("../engine/cli.ts");
