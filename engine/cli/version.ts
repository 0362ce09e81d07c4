import { readFile } from "node:fs/promises";
import { packagePath } from "../package-root.ts";

/** `durably --version`: the installed package's version, read from its package.json. */
export async function packageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(packagePath("package.json"), "utf8")) as { version: string };
  return manifest.version;
}
