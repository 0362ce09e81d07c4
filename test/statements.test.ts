import { beforeAll, describe, expect, it } from "vitest";
import { buildStatements } from "../engine/db/sql/index.ts";
import { Scheduler } from "../engine/jobs/pg-boss.ts";
import { createLogger } from "../engine/logger.ts";
import { TEST_DATABASE_URL } from "./helpers/db.ts";
import { migratedSchema } from "./helpers/migrated-schema.ts";

const { schema, client } = migratedSchema("statements");

beforeAll(async () => {
  // Some statements read pg-boss's tables too (a purge deletes its runs' jobs).
  const boss = new Scheduler({ databaseUrl: TEST_DATABASE_URL, schema, heartbeatSeconds: 30, recoverySeconds: 30, supervise: false }, createLogger("error"));
  await boss.start();
  await boss.boss.stop({ graceful: false });
});

// Statements written per call (the run lists', one per filter) are run by their own tests.
const statements = Object.entries(buildStatements(schema)).flatMap(([table, texts]) =>
  Object.entries(texts as Record<string, unknown>)
    .filter((entry): entry is [string, string] => typeof entry[1] === "string")
    .map(([name, text]) => [`${table}.${name}`, text] as const),
);

describe("every SQL statement", () => {
  // Postgres deduces each parameter's type when a statement is prepared; a parameter used as two
  // types (a domain-typed column and text, say) fails here rather than on first use in production.
  it.each(statements)("%s prepares against the migrated schema", async (_, text) => {
    await expect(client().query(`PREPARE p AS ${text}`)).resolves.toBeDefined();
    await client().query("DEALLOCATE p");
  });
});
