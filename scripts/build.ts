import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist");

/**
 * Builds sdk/, engine/ and react/ into dist/ with tsc. Output goes to a staging folder first and
 * only changed files are renamed into dist/, one atomic rename each: tests and CLI processes read
 * dist/ while another test run may be building it, and must never load a half-written file.
 */
export async function build(options: { allowTypeErrors?: boolean } = {}): Promise<void> {
  // Beside dist/ (same depth, same file system): the maps' relative source paths and the renames hold.
  const staging = join(ROOT, `.dist-staging-${process.pid}-${Date.now()}`);
  try {
    const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
    await promisify(execFile)(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", staging]).catch((error: { code?: unknown; stdout?: string }) => {
      // Exit code 2: type errors, with every file emitted all the same.
      if (options.allowTypeErrors && error.code === 2) process.stderr.write(`durably build: type errors (npm run typecheck)\n${error.stdout}`);
      else throw new Error(`tsc failed:\n${error.stdout ?? String(error)}`);
    });
    const built = await filesUnder(staging);
    for (const file of built.filter((f) => f.endsWith(".d.ts"))) {
      await writeFile(join(staging, file), withJsSpecifiers(await readFile(join(staging, file), "utf8")));
    }
    for (const file of built) await replaceIfChanged(join(staging, file), join(DIST, file));
    const wanted = new Set(built);
    for (const file of await filesUnder(DIST).catch(() => [])) {
      if (!wanted.has(file)) await rm(join(DIST, file), { force: true });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * tsc rewrites `./x.ts` to `./x.js` in the JavaScript but leaves declarations as written
 * (microsoft/TypeScript#61037); editors and tools that resolve them as plain paths need `.js`.
 */
export function withJsSpecifiers(declarations: string): string {
  return declarations.replace(/((?:from|import)\s*\(?\s*)(["'])(\.{1,2}\/[^"']*?)\.tsx?\2/g, "$1$2$3.js$2");
}

async function replaceIfChanged(from: string, to: string): Promise<void> {
  const next = await readFile(from);
  const current = await readFile(to).catch(() => undefined);
  if (current?.equals(next)) return;
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

// --allow-type-errors: for npm start and the chaos run, which (like tsx) never waited on the typecheck.
if (process.argv[1] === fileURLToPath(import.meta.url)) await build({ allowTypeErrors: process.argv.includes("--allow-type-errors") });
