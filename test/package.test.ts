import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Manifest {
  exports: Record<string, string | Record<string, string>>;
  scripts: Record<string, string>;
  files: string[];
}

describe("the packed package", () => {
  it("ships the built entry points, the CLI, the migrations and the built dashboard, and none of the tests or benchmarks", async () => {
    // --ignore-scripts: prepack's dashboard build would race the tests that build it themselves;
    // the test run's global setup has just built dist/.
    const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root });
    const files = (JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
    for (const entry of ["sdk", "engine", "react"]) {
      expect(files).toContain(`dist/${entry}/index.js`);
      expect(files).toContain(`dist/${entry}/index.d.ts`);
    }
    for (const path of ["bin/durably.js", "migrations/000001_init.sql", "README.md"]) expect(files).toContain(path);
    expect(files.filter((path) => /^(test|bench|examples|scripts|dashboard\/src)\//.test(path))).toEqual([]);
    const manifest = JSON.parse(await readFile(`${root}/package.json`, "utf8")) as Manifest;
    expect(manifest.files).toContain("dashboard/dist/");
    expect(manifest.scripts.prepack).toBe("npm run build --silent");
    expect(manifest.scripts.build).toContain("build:dashboard");
  });

  it("points every entry point at built JavaScript and declarations, types first", async () => {
    const manifest = JSON.parse(await readFile(`${root}/package.json`, "utf8")) as Manifest;
    for (const [entry, target] of Object.entries(manifest.exports)) {
      if (entry === "./package.json") continue;
      const conditions = target as Record<string, string>;
      expect(Object.keys(conditions)[0]).toBe("types");
      // Every condition, so no tool that honours one we did not think of lands on a .ts source.
      expect(Object.values(conditions).every((path) => path.startsWith("./dist/") && /\.(js|d\.ts)$/.test(path))).toBe(true);
    }
  });

  it("declares imports with the .js paths that exist in dist/, not the .ts paths of the sources", async () => {
    const declarations = (await readdir(`${root}/dist`, { recursive: true })).filter((file) => file.endsWith(".d.ts"));
    expect(declarations).toContain("sdk/index.d.ts");
    const tsPaths: string[] = [];
    for (const file of declarations) {
      const text = await readFile(`${root}/dist/${file}`, "utf8");
      tsPaths.push(...(text.match(/["']\.{1,2}\/[^"']*\.tsx?["']/g) ?? []).map((path) => `${file}: ${path}`));
    }
    expect(tsPaths).toEqual([]);
  });

  it("finds the migrations and the dashboard beside package.json from the built engine, as from the sources", async () => {
    const built = (await import(`${root}/dist/engine/package-root.js`)) as { packagePath(...segments: string[]): string };
    expect(built.packagePath("migrations")).toBe(`${root}migrations`);
    expect(built.packagePath("dashboard", "dist")).toBe(`${root}dashboard/dist`);
  });

  it("durably/react loads only its own modules, the wire types, React and TanStack Query: no server code, even before tree-shaking", async () => {
    const bare = new Set<string>();
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = await readFile(file, "utf8");
      const specifiers = [...code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|(?:^|\n)\s*import\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)];
      for (const [, a, b, c] of specifiers) {
        const specifier = (a ?? b ?? c)!;
        if (specifier.startsWith(".")) await visit(join(dirname(file), specifier));
        else bare.add(specifier);
      }
    };
    await visit(`${root}dist/react/index.js`);
    expect(seen.size).toBeGreaterThan(20); // the walk followed the hooks and the client
    expect([...seen].filter((file) => relative(`${root}dist/react`, file).startsWith(".."))).toEqual([`${root}dist/wire/index.js`]);
    expect([...bare].sort()).toEqual(["@tanstack/react-query", "react", "react/jsx-runtime"]);
  });
});
