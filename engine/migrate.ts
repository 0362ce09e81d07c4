import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { DurablyError } from "../sdk/errors.ts";
import { packagePath } from "./package-root.ts";

interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Runs outside a transaction, statement by statement (`--! no-transaction` on its first line). */
  concurrent: boolean;
}

/** graphile-migrate's spelling: the migration builds or drops an index CONCURRENTLY, which no transaction may hold. */
const NO_TRANSACTION = /^--! no-transaction\b/;

export async function loadMigrations(): Promise<Migration[]> {
  const dir = packagePath("migrations");
  const files = (await readdir(dir)).filter((f) => /^\d{6}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(dir, file), "utf8");
      return { version: Number(file.slice(0, 6)), name: file.slice(7, -4), sql, concurrent: NO_TRANSACTION.test(sql) };
    }),
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
 * Applies pending migrations under an advisory lock, so engines starting together apply each
 * migration exactly once, and refuses a database migrated by newer code. Migrations run in one
 * transaction, except one marked `--! no-transaction`: it runs on its own, each statement in its
 * own commit, and its version is recorded after its last statement, so one cut short runs again
 * (its statements are written to be repeated). On a fresh schema, which nobody else can see yet,
 * it runs in the one transaction with its CONCURRENTLY dropped.
 *
 * The lock is taken by polling, never by waiting in a statement: CREATE INDEX CONCURRENTLY waits
 * for every transaction older than it in the database, and a migrator waiting on the lock inside
 * one would wait for it in turn.
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number[]> {
  const migrations = await loadMigrations();
  const s = `"${schema}"`;
  const lock = `durably-migrate:${schema}`;
  while (!(await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [lock])).rows[0]!.locked) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
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
    const fresh = applied.size === 0;
    const pending = migrations.filter((m) => !applied.has(m.version));
    const done: number[] = [];
    for (let i = 0; i < pending.length;) {
      const m = pending[i]!;
      if (m.concurrent && !fresh) {
        for (const statement of statementsOf(m.sql)) await client.query(statement.replaceAll(":SCHEMA", s));
        await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        done.push(m.version);
        i++;
        continue;
      }
      await client.query("BEGIN");
      try {
        for (; i < pending.length && (fresh || !pending[i]!.concurrent); i++) {
          const t = pending[i]!;
          await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [t.version, t.name]);
          await client.query((t.concurrent ? t.sql.replace(/\bCONCURRENTLY\b/g, "") : t.sql).replaceAll(":SCHEMA", s));
          done.push(t.version);
        }
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    }
    return done;
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext($1))", [lock]).catch(() => undefined);
  }
}

/** A migration's statements, one per `;` at the end of a line (no-transaction migrations hold no function bodies). */
function statementsOf(sql: string): string[] {
  return sql.split(/;[ \t]*$/m).map((part) => part.replace(/^\s*--.*$/gm, "").trim()).filter((part) => part !== "");
}
