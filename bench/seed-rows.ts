import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { chained, metadataContent, statusContent } from "../engine/db/sql/audit.ts";
import { installScheduler } from "../engine/jobs/pg-boss.ts";
import { createLogger } from "../engine/logger.ts";
import { migrateAt } from "../engine/migrate.ts";
import { resolveOptions } from "../engine/options.ts";

/**
 * Fills a schema with finished runs and their journal, metadata history and audit chain, in the
 * shapes the engine writes them, by set-based SQL (issue 23: 1,000,000 runs and 10,000,000 journal
 * rows in minutes). For the big-table bench rows, and for any test or row that needs a full table:
 *
 *     node --import tsx bench/seed-rows.ts --schema big --runs 1000000 --journal-per-run 10
 *     await seedRows(url, "big", { runs: 100_000 });
 *
 * Every run is finished (85% SUCCESS, 11% FAILURE, 4% CANCELED), created over the last `days`,
 * newest ids last (ids encode created_at as the engine's do), one of six tasks (skewed: the busiest
 * has 35% of the runs), a third tagged (`env:*`, and `customer:*` over 5,000 customers), metadata
 * `{ customerId, region, progress }`. A run's journal has 4 to 2×`journalPerRun` − 4 entries
 * (`journalPerRun` on average): a task, a `metadata.set`, a status, more tasks, and a last status
 * (SUCCESS), a failed task after 3 attempts (FAILURE) or a task (CANCELED). The status entries and
 * the metadata change carry the audit chain's hashes (engine/db/sql/audit.ts), so
 * `durably audit verify` holds on them.
 */
export interface SeedOptions {
  /** Runs to add (default 1,000,000). */
  runs?: number;
  /** Journal entries per run on average, at least 4 (default 10). */
  journalPerRun?: number;
  /** created_at spreads over this many days before now (default 60). */
  days?: number;
  /** Runs per transaction (default 50,000): progress is reported, and kept, chunk by chunk. */
  chunk?: number;
  /** VACUUM ANALYZE the tables afterwards, as autovacuum would have on an old database (default true). */
  vacuum?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  runs: number;
  journalRows: number;
  metadataRows: number;
  seconds: number;
}

/** The six tasks seeded runs belong to, with each one's share of the runs (cumulative). */
export const SEED_TASKS = [
  ["send-email", 0.35],
  ["resize-image", 0.6],
  ["sync-crm", 0.75],
  ["generate-invoice", 0.87],
  ["webhook-delivery", 0.95],
  ["nightly-report", 1],
] as const;

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** `digits` base-32 digits of a bigint, as engine/ids.ts writes them. */
const base32 = (value: string, digits: number) =>
  `(SELECT string_agg(substr('${ALPHABET}', ((${value} >> (5 * k)) & 31)::int + 1, 1), '' ORDER BY k DESC) FROM generate_series(0, ${digits - 1}) k)`;

const statusOutput = (key: string, label: string, state: string) =>
  `jsonb_build_object('json', jsonb_build_object('key', ${key}, 'data', NULL, 'label', ${label}, 'state', ${state}), 'meta', '{"v":1,"values":{"data":["undefined"]}}'::jsonb)`;

interface Chunk {
  /** The chunk's first and last run number, and the fill's first and count: the fill spreads over `days`. */
  from: number;
  to: number;
  first: number;
  runs: number;
  days: number;
  perRun: number;
}

/**
 * One row per run of the chunk, with the values its runs, journal and metadata rows are built
 * from, hashes included. Numbers inline (all checked integers): CREATE TABLE AS takes no parameters.
 */
function chunkStatement(c: Chunk): string {
  const taskCase = `CASE ${SEED_TASKS.map(([id, upTo]) => `WHEN u1 < ${upTo} THEN '${id}'`).join(" ")} END`;
  return `
    CREATE TEMP TABLE seed_chunk ON COMMIT DROP AS
    WITH u AS (
      SELECT i, random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5,
        now() - make_interval(days => ${c.days}) + make_interval(days => ${c.days}) * ((i - ${c.first - 1} - random()) / ${c.runs}) AS created_at
      FROM generate_series(${c.from}::bigint, ${c.to}::bigint) i
    ), shaped AS (
      SELECT i, created_at,
        'run_' || ${base32("(extract(epoch from created_at) * 1000)::bigint", 10)} || '0000' || ${base32("i", 12)} AS id,
        ${taskCase} AS task_id,
        CASE WHEN u2 < 0.85 THEN 'SUCCESS' WHEN u2 < 0.96 THEN 'FAILURE' ELSE 'CANCELED' END AS status,
        4 + floor(u3 * ${2 * c.perRun - 7})::int AS n,
        created_at + make_interval(secs => u1 * 2) AS started_at,
        make_interval(secs => 0.2 + u3 * 8) AS duration,
        1 + floor(u5 * 5000)::int AS customer,
        (ARRAY['eu-west', 'us-east', 'us-west', 'ap-south'])[1 + floor(u4 * 4)::int] AS region,
        CASE WHEN u4 < 0.2 THEN 'prod' WHEN u4 < 0.35 THEN 'staging' END AS env
      FROM u
    ), timed AS (
      SELECT *,
        CASE WHEN env = 'prod' THEN ARRAY['env:prod', 'customer:' || customer] WHEN env = 'staging' THEN ARRAY['env:staging'] ELSE '{}' END AS tags,
        jsonb_build_object('customerId', 'cus_' || customer, 'region', region, 'progress', CASE WHEN status = 'SUCCESS' THEN 1 ELSE 0.5 END) AS metadata,
        started_at + duration * (2.0 / (n + 1)) AS at2,
        started_at + duration * (3.0 / (n + 1)) AS at3,
        started_at + duration * (n::float8 / (n + 1)) AS at_last,
        started_at + duration AS finished_at,
        ${statusOutput("'progress'", "'1/' || n", "'loading'")} AS out3,
        ${statusOutput("'progress'", "n || '/' || n", "'success'")} AS out_last
      FROM shaped
    ), h1 AS (
      SELECT *, ${chained("NULL", metadataContent("id", "2", "'set'", "'progress'", "(metadata -> 'progress')", "metadata", "NULL", "at2"))} AS h_meta
      FROM timed
    ), h2 AS (
      SELECT *, ${chained("h_meta", statusContent("id", "3", "'progress'", "'completed'", "out3", "at3"))} AS h_status
      FROM h1
    )
    SELECT *, CASE WHEN status = 'SUCCESS' THEN ${chained("h_status", statusContent("id", "n", "'progress-done'", "'completed'", "out_last", "at_last"))} END AS h_last
    FROM h2`;
}

function insertStatements(s: string): string[] {
  return [
    `INSERT INTO ${s}.runs (id, task_id, task_version, payload, status, output, error, metadata, tags, attempts, revision,
        created_at, started_at, finished_at, updated_at, audit_hash)
      SELECT id, task_id, '1', jsonb_build_object('json', jsonb_build_object('customerId', 'cus_' || customer, 'i', i)), status,
        CASE WHEN status = 'SUCCESS' THEN jsonb_build_object('json', jsonb_build_object('ok', true, 'steps', n)) END,
        CASE WHEN status = 'FAILURE' THEN jsonb_build_object('name', 'Error', 'message', 'upstream returned 503',
          'stack', 'Error: upstream returned 503' || chr(10) || '    at step (/app/src/trigger/' || task_id || '.ts:42:11)') END,
        metadata, tags, CASE WHEN status = 'FAILURE' THEN 3 ELSE 1 END, n + 2,
        created_at, started_at, finished_at, finished_at, coalesce(h_last, h_status)
      FROM seed_chunk`,
    // Entry 1 a task, 2 the metadata.set, 3 the first status, then tasks, and the last one by status.
    // As the engine writes entries since migrations 39 and 40: the output as json text, the
    // attempt counts left NULL at their usual values (engine/db/sql/journal-output.ts).
    `INSERT INTO ${s}.journal (run_id, seq, kind, key, status, output_json, error, attempts, revision, started_at, finished_at, audit_hash)
      SELECT c.id, e.seq, e.kind, e.key, e.status, e.output::json, e.error, e.attempts, e.seq + 1,
        c.started_at + c.duration * ((e.seq - 0.5) / (c.n + 1)), e.at, e.hash
      FROM seed_chunk c CROSS JOIN LATERAL (
        SELECT q AS seq,
          CASE WHEN q = 2 THEN 'metadata' WHEN q = 3 OR (q = c.n AND c.status = 'SUCCESS') THEN 'status' ELSE 'task' END AS kind,
          CASE WHEN q = 1 THEN 'fetch' WHEN q = 2 THEN 'set:progress' WHEN q = 3 THEN 'progress'
            WHEN q = c.n AND c.status = 'SUCCESS' THEN 'progress-done' ELSE 'step-' || q END AS key,
          CASE WHEN q = c.n AND c.status = 'FAILURE' THEN 'failed' ELSE 'completed' END AS status,
          CASE WHEN q = 1 THEN jsonb_build_object('json', jsonb_build_object('ok', true, 'bytes', 1024 + c.i % 4096))
            WHEN q = 2 THEN jsonb_build_object('json', c.metadata)
            WHEN q = 3 THEN c.out3
            WHEN q = c.n AND c.status = 'SUCCESS' THEN c.out_last
            WHEN q = c.n AND c.status = 'FAILURE' THEN NULL
            ELSE jsonb_build_object('json', jsonb_build_object('step', q, 'value', c.i * q % 1000)) END AS output,
          CASE WHEN q = c.n AND c.status = 'FAILURE' THEN jsonb_build_object('name', 'Error', 'message', 'upstream returned 503') END AS error,
          CASE WHEN q = c.n AND c.status = 'FAILURE' THEN 3 END AS attempts,
          CASE WHEN q = 2 THEN c.at2 WHEN q = 3 THEN c.at3 WHEN q = c.n THEN c.at_last
            ELSE c.started_at + c.duration * (q::float8 / (c.n + 1)) END AS at,
          CASE WHEN q = 3 THEN c.h_status WHEN q = c.n AND c.status = 'SUCCESS' THEN c.h_last END AS hash
        FROM generate_series(1, c.n) q
      ) e`,
    `INSERT INTO ${s}.run_metadata_history (run_id, seq, op, key, value, metadata, at, revision, audit_hash)
      SELECT id, 2, 'set', 'progress', metadata -> 'progress', metadata, at2, 3, h_meta FROM seed_chunk`,
  ];
}

/** Fills `schema` (installed first if it is not) with finished runs; see the file's comment. */
export async function seedRows(url: string, schema: string, options: SeedOptions = {}): Promise<SeedResult> {
  const runs = options.runs ?? 1_000_000;
  const perRun = options.journalPerRun ?? 10;
  const days = options.days ?? 60;
  const chunk = options.chunk ?? 50_000;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${runs}`);
  if (!Number.isInteger(perRun) || perRun < 4) throw new Error(`journalPerRun must be an integer of at least 4, got ${perRun}`);
  if (!Number.isInteger(days) || days < 1) throw new Error(`days must be a positive integer, got ${days}`);
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`chunk must be a positive integer, got ${chunk}`);
  const started = performance.now();
  // Installed as `durably migrate` installs it, pg-boss's tables included, so the CLI and engines take it as it is.
  const o = resolveOptions({ databaseUrl: url, schema });
  await migrateAt(o.directUrl, o.schema);
  await installScheduler({ databaseUrl: o.directUrl, schema: o.schema, heartbeatSeconds: o.heartbeatSeconds, recoverySeconds: o.recoverySeconds }, createLogger("warn"));
  const s = `"${schema}"`;
  const client = new pg.Client({ connectionString: url, application_name: "durably-seed" });
  await client.connect();
  try {
    // Seeded ids count on from the runs already there, so a second fill adds rows instead of colliding.
    const { rows: [{ existing }] } = await client.query<{ existing: string }>(`SELECT count(*) AS existing FROM ${s}.runs`);
    const first = Number(existing) + 1;
    await client.query(
      `INSERT INTO ${s}.tasks (id, version, kind) SELECT id, '1', 'task' FROM unnest($1::text[]) id ON CONFLICT DO NOTHING`,
      [SEED_TASKS.map(([id]) => id)],
    );
    let journalRows = 0;
    for (let from = 0; from < runs; from += chunk) {
      const to = Math.min(runs, from + chunk);
      await client.query("BEGIN");
      try {
        await client.query(chunkStatement({ from: first + from, to: first + to - 1, first, runs, days, perRun }));
        const [, journal] = await mapSeries(insertStatements(s), (text) => client.query(text));
        journalRows += journal!.rowCount ?? 0;
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
      options.onProgress?.(to, runs);
    }
    if (options.vacuum ?? true) {
      for (const table of ["runs", "journal", "run_metadata_history"]) await client.query(`VACUUM (ANALYZE) ${s}.${table}`);
    }
    return { runs, journalRows, metadataRows: runs, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

async function mapSeries<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await fn(item));
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      schema: { type: "string", default: "durably_big" },
      runs: { type: "string", default: "1000000" },
      "journal-per-run": { type: "string", default: "10" },
      days: { type: "string", default: "60" },
    },
  });
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is required: postgres://… of the database to fill");
    process.exit(2);
  }
  const result = await seedRows(url, values.schema, {
    runs: Number(values.runs),
    journalPerRun: Number(values["journal-per-run"]),
    days: Number(values.days),
    onProgress: (done, total) => process.stdout.write(`\r${done.toLocaleString("en")} / ${total.toLocaleString("en")} runs`),
  });
  console.log(`\nschema "${values.schema}": ${result.runs.toLocaleString("en")} runs, ${result.journalRows.toLocaleString("en")} journal rows, ${result.metadataRows.toLocaleString("en")} metadata rows in ${result.seconds.toFixed(1)} s`);
}
