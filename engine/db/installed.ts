import { DatabaseNotMigratedError } from "../../sdk/errors.ts";
import { bossSchemaOf } from "../jobs/job-sender.ts";
import type { Database } from "./database.ts";
import { installedStatements } from "./sql/installed.ts";
import { hostOf } from "./unreachable.ts";

/**
 * The latest migration in migrations/: what a process that does not migrate (a direct backend)
 * needs to find applied. A constant rather than a listing of migrations/, so a bundled web backend
 * needs no files beside it; test/backend-direct.test.ts fails when a new migration leaves it behind.
 */
export const SCHEMA_VERSION = 49;

/**
 * Refuses a schema that `durably migrate` has not brought to this code's version (durably's tables
 * and pg-boss's), naming the command, instead of failing later on a missing table mid-trigger.
 * A newer schema is accepted, unlike by an engine, which would run its own migrations on it: in a
 * rolling deploy the new engines migrate first, and web backends still on the old code must keep
 * triggering until they are deployed too.
 */
export async function checkInstalled(db: Database, schema: string, url: string): Promise<void> {
  const sql = installedStatements(schema, bossSchemaOf(schema));
  const host = hostOf(url);
  const at = host ? ` at ${host}` : "";
  const { rows: [tables] } = await db.query<{ durably: boolean; boss: boolean }>(sql.tables);
  const version = tables!.durably ? (await db.query<{ version: number }>(sql.version)).rows[0]!.version : 0;
  const problem =
    version === 0 ? `Schema "${schema}"${at} has no durably tables`
    : version < SCHEMA_VERSION ? `Schema "${schema}"${at} is at migration ${version} but this code needs ${SCHEMA_VERSION}`
    : !tables!.boss ? `Schema "${bossSchemaOf(schema)}"${at} has no job tables`
    : undefined;
  if (problem) throw new DatabaseNotMigratedError({ schema, version, required: SCHEMA_VERSION, problem });
}
