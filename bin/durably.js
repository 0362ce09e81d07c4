#!/usr/bin/env node
// Entry point of the `durably` command: the built JavaScript (engine/cli/main.ts), which loads the
// app's entry files (`durably start tasks.ts`) as TypeScript with no build step.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`durably needs Node.js >= 22.12 (pg-boss 12 does); this is ${process.version}\n`);
  process.exit(1);
}
const cli = new URL("../dist/engine/cli/main.js", import.meta.url);
await import(cli.href).catch((error) => {
  // Only a clone of the repository can lack dist/; an installed package always has it.
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !error.message.includes(cli.pathname)) throw error;
  process.stderr.write("durably is not built: run `npm run build` in this repository first\n");
  process.exit(1);
});
