import { relative } from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./db/embedded-postgres.ts";

/** The zero-config database: a real PostgreSQL whose data stays in `dataDir` across restarts. */
export async function startLocalDatabase(dataDir: string): Promise<EmbeddedPostgres> {
  process.stdout.write(`No DATABASE_URL: starting an embedded PostgreSQL (data in ${relative(process.cwd(), dataDir) || dataDir})…\n`);
  return startEmbeddedPostgres({ dataDir });
}
