import { relative } from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./db/embedded-postgres.ts";

/** The zero-config database: a real PostgreSQL whose data stays in `dataDir` across restarts. */
export async function startLocalDatabase(dataDir: string): Promise<EmbeddedPostgres> {
  const shown = relative(process.cwd(), dataDir) || dataDir;
  process.stdout.write(`No DATABASE_URL: starting an embedded PostgreSQL (data in ${shown})…\n`);
  const postgres = await startEmbeddedPostgres({ dataDir });
  if (postgres.dataDir !== dataDir) {
    process.stdout.write(`The "postgres" OS user cannot reach this project, so the data is kept in ${postgres.dataDir} (${shown} links to it).\n`);
  }
  return postgres;
}
