import { relative } from "node:path";
import { isInitialised, runningEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.ts";
import { DurablyError } from "../../sdk/errors.ts";

/** The zero-config database: a real PostgreSQL whose data stays in `dataDir` across restarts. */
export async function startLocalDatabase(dataDir: string): Promise<EmbeddedPostgres> {
  const shown = shownPath(dataDir);
  process.stdout.write(`No DATABASE_URL: starting an embedded PostgreSQL (data in ${shown})…\n`);
  const postgres = await startEmbeddedPostgres({ dataDir });
  if (postgres.dataDir !== dataDir) {
    process.stdout.write(`The "postgres" OS user cannot reach this project, so the data is kept in ${postgres.dataDir} (${shown} links to it).\n`);
  }
  return postgres;
}

/**
 * The embedded database for a command other than `durably start`: the one `durably start` is
 * running, or else that cluster started for the command alone and stopped after it.
 */
export async function openLocalDatabase(dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const running = await runningEmbeddedPostgres(dataDir);
  if (running) return { url: running, stop: () => Promise.resolve() };
  if (!(await isInitialised(dataDir))) {
    throw new DurablyError("NOT_CONFIGURED", `No DATABASE_URL, and no embedded database in ${shownPath(dataDir)}: run "durably start" (npm start) once, pass --data-dir, or set DATABASE_URL`);
  }
  return startEmbeddedPostgres({ dataDir });
}

/** Relative to the working directory when inside it. */
function shownPath(dir: string): string {
  const inside = relative(process.cwd(), dir);
  return inside && !inside.startsWith("..") ? inside : dir;
}
