import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { migrate } from "durably/engine";
import { buildStatements, type Statements } from "../../engine/db/sql/index.ts";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./db.ts";

/**
 * A schema of its own, migrated before the file's tests and dropped after them, its statements,
 * and a connection to run them on straight (`client()`, open in between).
 */
export function migratedSchema(name: string): { schema: string; statements: Statements; client: () => pg.Client } {
  const schema = uniqueSchema(name);
  let client: pg.Client | undefined;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await migrate(client, schema);
  });
  afterAll(async () => {
    await client?.end();
    await dropSchemas(schema);
  });
  return { schema, statements: buildStatements(schema), client: () => client! };
}
