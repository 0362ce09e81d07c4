import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DurablyError } from "../sdk/errors.ts";

/**
 * A file shipped beside package.json (migrations, the built dashboard). This module runs from
 * `engine/` in the repo and from `dist/engine/` when installed, so a fixed `../` would point into
 * `dist/` in one of the two: walk up to the package root instead.
 */
export function packagePath(...segments: string[]): string {
  root ??= findRoot(dirname(fileURLToPath(import.meta.url)));
  return join(root, ...segments);
}

/** durably's own package.json: its version (`durably --version`), its peers' ranges (install hints). */
export function packageManifest(): { version: string; peerDependencies: Record<string, string> } {
  return JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as ReturnType<typeof packageManifest>;
}

let root: string | undefined;

function findRoot(dir: string): string {
  if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "migrations"))) return dir;
  const parent = dirname(dir);
  if (parent === dir) throw new DurablyError("PACKAGE_INCOMPLETE", `No durably package root (package.json beside migrations/) above ${fileURLToPath(import.meta.url)}`);
  return findRoot(parent);
}
