import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("the module graph", () => {
  it("has no import cycles, and wire/, react/ and sdk/ keep to their layers (.dependency-cruiser.cjs)", async () => {
    const cli = join(root, "node_modules/dependency-cruiser/bin/dependency-cruiser.mjs");
    const run = promisify(execFile)(process.execPath, [cli, "--output-type", "err", "wire", "sdk", "engine", "react"], { cwd: root });
    // A violation exits non-zero with the list on stdout: show it rather than the exit code.
    const { stdout } = await run.catch((error: { stdout: string }) => error);
    expect(stdout).toContain("no dependency violations found");
  });
});
