import pg from "pg";

export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? "postgres://root@127.0.0.1:5432/test";

/** A schema name of its own for each test, so files run in parallel on one database. */
export function uniqueSchema(prefix: string): string {
  return `t_${prefix.replace(/[^a-z0-9]/g, "_").slice(0, 16)}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A database of its own, for a test whose statements wait on every other transaction of their
 * database (CREATE INDEX CONCURRENTLY waits for older snapshots, and the other test files' never stop).
 */
export async function ownDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = uniqueSchema(prefix);
  await sql(`CREATE DATABASE "${name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => undefined) };
}

export async function dropSchemas(...schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    for (const s of schemas) {
      await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await client.query(`DROP SCHEMA IF EXISTS "${s}_boss" CASCADE`);
    }
  } finally {
    await client.end();
  }
}

export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Inserts a run executing under a fresh lease (heartbeating now, with `metadata`); returns it with that lease. */
export async function insertExecutingRun(schema: string, id: string, metadata: object = {}): Promise<{ id: string; lease: string }> {
  const [row] = await sql<{ lease: string }>(
    `INSERT INTO "${schema}".runs (id, task_id, task_version, payload, status, lease, heartbeat_at, metadata)
     VALUES ($1, 'task', '1', '{}', 'EXECUTING', gen_random_uuid(), now(), $2) RETURNING lease`,
    [id, metadata],
  );
  return { id, lease: row!.lease };
}
