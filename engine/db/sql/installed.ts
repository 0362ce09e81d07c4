/**
 * What `durably migrate` installed in a schema, read without changing anything (see
 * engine/db/installed.ts). `to_regclass` answers NULL, not an error, for a schema never migrated.
 */
export function installedStatements(schema: string, bossSchema: string) {
  return {
    tables: `SELECT to_regclass('"${schema}".migrations') IS NOT NULL AS durably, to_regclass('"${bossSchema}".job') IS NOT NULL AS boss`,
    version: `SELECT coalesce(max(version), 0)::int AS version FROM "${schema}".migrations`,
  };
}
