import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isDefinable, type Definable } from "../../sdk/definable.ts";
import type { connect } from "../backends/direct.ts";
import { UsageError, type Flags } from "./flags.ts";

type Service = Awaited<ReturnType<typeof connect>>;

/** What every command needs of the CLI around it: its flags, the database to use and how to print. */
export interface Cli {
  readonly flags: Flags;
  /** The embedded database's URL when there is no DATABASE_URL (set by main.ts before the command runs). */
  localUrl: string | undefined;
  print(value: unknown, text: () => string): void;
  connection(): { schema?: string; databaseUrl?: string };
  dataDir(): string;
  withService<T>(fn: (service: Service) => Promise<T>): Promise<T>;
}

export function createCli(flags: Flags): Cli {
  const cli: Cli = {
    flags,
    localUrl: undefined,
    print(value, text) {
      process.stdout.write((flags.json ? JSON.stringify(value, null, 2) : text()) + "\n");
    },
    connection() {
      return { ...(flags.schema ? { schema: flags.schema } : {}), ...(cli.localUrl ? { databaseUrl: cli.localUrl } : {}) };
    },
    dataDir: () => resolve(flags["data-dir"] ?? ".durably/pg"),
    async withService(fn) {
      const service = await (await import("../backends/direct.ts")).connect(cli.connection());
      try {
        return await fn(service);
      } finally {
        await service.close();
      }
    },
  };
  return cli;
}

/**
 * The tasks and clients the entry files export (`durably start` and `durably check`). The files
 * load as TypeScript with no build step: tsx is registered here, not when the CLI starts, since
 * its loader slows every import after it and the other commands load no file of the app.
 */
export async function loadDefinables(files: string[]): Promise<Definable[]> {
  (await import("tsx/esm/api")).register();
  const found: Definable[] = [];
  for (const file of files) {
    if (!existsSync(resolve(file))) throw new UsageError(`Entry file "${file}" not found`);
    let exports: Record<string, unknown>;
    try {
      exports = await import(pathToFileURL(resolve(file)).href);
    } catch (error) {
      throw new Error(`Cannot load ${file}: ${(error as Error).message}`, { cause: error });
    }
    for (const value of Object.values(exports)) if (isDefinable(value)) found.push(value);
  }
  return found;
}
