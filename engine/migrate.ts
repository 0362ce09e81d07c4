import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { DurablyError } from "../sdk/errors.ts";
import { packagePath } from "./package-root.ts";

interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(): Promise<Migration[]> {
  const dir = packagePath("migrations");
  const files = (await readdir(dir)).filter((f) => /^\d{6}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: Number(file.slice(0, 6)),
      name: file.slice(7, -4),
      sql: await readFile(join(dir, file), "utf8"),
    })),
  );
}

/**
 * Migrates over a connection of its own to `directUrl` (see ResolvedOptions), never through a
 * pooler: a pooler may cut a long migration with its own query timeout, and providers in front
 * of one (Supabase, Neon) tell you to run DDL on the direct connection.
 */
export async function migrateAt(directUrl: string, schema: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: directUrl, application_name: "durably-migrate" });
  // A connection lost mid-migration rejects the statement in flight; unheard, the event would kill the process.
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await migrate(client, schema);
  } finally {
    await client.end();
  }
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so engines starting
 * together apply each migration exactly once. Refuses a database migrated by newer code.
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number[]> {
  const migrations = await loadMigrations();
  const s = `"${schema}"`;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`durably-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.migrations`);
    const applied = new Set(rows.map((r) => r.version));
    const latest = migrations.at(-1)?.version ?? 0;
    const newest = Math.max(0, ...applied);
    if (newest > latest) {
      throw new DurablyError(
        "DATABASE_TOO_NEW",
        `Schema "${schema}" is at migration ${newest} but this code knows only up to ${latest}; upgrade durably`,
      );
    }
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      await client.query(m.sql.replaceAll(":SCHEMA", s));
      done.push(m.version);
    }
    await client.query("COMMIT");
    return done;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
