import { build } from "../scripts/build.ts";

/**
 * Tests import durably from sources (vitest.config.ts aliases them), but the processes they spawn
 * (the CLI, crash workers, npm start) resolve `durably` through package.json's exports, i.e. dist/.
 * Build it once per run so those processes never load a stale build. A type error is reported
 * but does not stop the tests, as it does not under vitest's own transform: typecheck catches it.
 */
export default async function setup(): Promise<void> {
  await build({ allowTypeErrors: true });
}
