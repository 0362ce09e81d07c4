import { join } from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./db/embedded-postgres.ts";

/** The zero-config database: a real PostgreSQL whose data lives in `<cwd>/.durably/pg`. */
export async function startLocalDatabase(cwd: string): Promise<EmbeddedPostgres> {
  process.stdout.write("No DATABASE_URL: starting an embedded PostgreSQL (data in .durably/pg)…\n");
  return startEmbeddedPostgres({ dataDir: join(cwd, ".durably", "pg") });
}
