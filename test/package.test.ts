import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("the packed package", () => {
  it("ships the engine, the React hooks, the migrations and the built dashboard, and none of the tests or benchmarks", async () => {
    // --ignore-scripts: prepack's dashboard build would race the tests that build it themselves.
    const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root });
    const files = (JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
    for (const path of ["bin/durably.js", "engine/index.ts", "sdk/index.ts", "react/index.ts", "migrations/000001_init.sql", "README.md"]) {
      expect(files).toContain(path);
    }
    expect(files.filter((path) => /^(test|bench|examples|dashboard\/src)\//.test(path))).toEqual([]);
    const manifest = JSON.parse(await readFile(`${root}/package.json`, "utf8")) as { files: string[]; scripts: Record<string, string> };
    expect(manifest.files).toContain("dashboard/dist/");
    expect(manifest.scripts.prepack).toContain("build:dashboard");
  });
});
