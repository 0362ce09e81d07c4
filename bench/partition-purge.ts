import type { Row } from "./lib/row.ts";
import { benchSchema, connectClient, dropSchema } from "./lib/schema.ts";
import { percentile, round } from "./lib/stats.ts";
import { seedRows } from "./seed-rows.ts";

/** Seeded finished runs (10 journal entries each on average): the journal copied and half of it purged both ways. */
const RUNS = Number(process.env.BENCH_PARTITION_RUNS ?? 200_000);
const PARTITIONS = 10;
/** Runs per DELETE, as the engine's purge batches (PURGE_BATCH). */
const BATCH = 500;
const READS = 1000;
const INSERTS = 2000;

type Client = Awaited<ReturnType<typeof connectClient>>;

const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const result = await work();
  return [result, (performance.now() - t0) / 1000];
};

/**
 * Not a product change: what partitioning the journal would buy a purge, measured on this machine
 * (docs/retention.md#partitioning). A seeded journal is copied into a table partitioned by ranges
 * of run id (ids are time-sortable, so a range is a span of creation time, and the primary key
 * (run_id, seq) already holds the partition key), 10 partitions of equal run counts. Then, for
 * the same rows (the runs of the oldest half of the partitions): batched DELETE from the plain
 * journal, 500 runs a statement as the engine's purge does, against DROP TABLE of those
 * partitions. Beside it, what partitioning costs elsewhere: the copy (a conversion's rewrite), a
 * replay's read of one run's entries by a prepared statement, and single-row inserts.
 */
export default async function partitionPurge(url: string): Promise<Row[]> {
  const schema = benchSchema("partition");
  const s = `"${schema}"`;
  const client = await connectClient(url);
  try {
    const seeded = await seedRows(url, schema, { runs: RUNS, journalPerRun: 10, days: 60 });
    const bounds = (await client.query<{ bound: string }>(`
      SELECT min(id) AS bound FROM (SELECT id, ntile(${PARTITIONS}) OVER (ORDER BY id COLLATE "C") AS part FROM ${s}.runs) x
      GROUP BY part ORDER BY part`)).rows.map((r) => r.bound).slice(1);
    await client.query(`CREATE TABLE ${s}.journal_part (LIKE ${s}.journal INCLUDING ALL) PARTITION BY RANGE (run_id)`);
    const edges = [null, ...bounds, null];
    for (let i = 0; i < PARTITIONS; i++) {
      const from = edges[i] === null ? "MINVALUE" : `'${edges[i]}'`;
      const to = edges[i + 1] === null ? "MAXVALUE" : `'${edges[i + 1]}'`;
      await client.query(`CREATE TABLE ${s}.journal_p${i} PARTITION OF ${s}.journal_part FOR VALUES FROM (${from}) TO (${to})`);
    }
    const [, copySeconds] = await timed(() => client.query(`INSERT INTO ${s}.journal_part SELECT * FROM ${s}.journal`));
    await client.query(`VACUUM ANALYZE ${s}.journal_part`);
    const journalRows = seeded.journalRows;

    const sample = (await client.query<{ id: string }>(`SELECT id FROM ${s}.runs ORDER BY random() LIMIT ${READS}`)).rows.map((r) => r.id);
    const readPlain = await readLatencies(client, `SELECT seq, kind, key, status, output FROM ${s}.journal WHERE run_id = $1 ORDER BY seq`, sample);
    const readPart = await readLatencies(client, `SELECT seq, kind, key, status, output FROM ${s}.journal_part WHERE run_id = $1 ORDER BY seq`, sample);
    const insertPlain = await insertLatencies(client, `${s}.journal`);
    const insertPart = await insertLatencies(client, `${s}.journal_part`);

    // The rows of the oldest half of the partitions, both ways.
    const half = PARTITIONS / 2;
    const cut = bounds[half - 1]!;
    const ids = (await client.query<{ id: string }>(`SELECT id FROM ${s}.runs WHERE id < $1 ORDER BY id`, [cut])).rows.map((r) => r.id);
    const sizeBefore = await size(client, `${s}.journal`);
    let deleted = 0;
    const [, deleteSeconds] = await timed(async () => {
      for (let i = 0; i < ids.length; i += BATCH) {
        const result = await client.query(`DELETE FROM ${s}.journal WHERE run_id = ANY($1)`, [ids.slice(i, i + BATCH)]);
        deleted += result.rowCount ?? 0;
      }
    });
    const sizeAfterDelete = await size(client, `${s}.journal`);
    const partSizeBefore = await size(client, `${s}.journal_part`, true);
    const [, dropSeconds] = await timed(async () => {
      for (let i = 0; i < half; i++) await client.query(`DROP TABLE ${s}.journal_p${i}`);
    });
    const partSizeAfter = await size(client, `${s}.journal_part`, true);

    const deleteRate = deleted / deleteSeconds;
    const dropRate = deleted / dropSeconds;
    return [{
      id: "partition-purge",
      row: `purging ${ids.length.toLocaleString("en")} runs' journal (${deleted.toLocaleString("en")} rows of ${journalRows.toLocaleString("en")}): batched DELETE vs DROP of ${half} partitions`,
      engine: `DELETE ${round(deleteSeconds, 2)} s (${round(deleteRate, 0)} rows/s), DROP ${round(dropSeconds * 1000, 1)} ms`,
      baseline: `copy into partitions ${round(journalRows / copySeconds, 0)} rows/s; replay read p50 ${round(percentile(readPlain, 50), 3)} → ${round(percentile(readPart, 50), 3)} ms; insert p50 ${round(percentile(insertPlain, 50), 3)} → ${round(percentile(insertPart, 50), 3)} ms`,
      ratio: round(deleteSeconds / dropSeconds, 0),
      target: "informs docs/retention.md#partitioning",
      met: null,
      data: {
        runs: RUNS, journal_rows: journalRows, partitions: PARTITIONS, purged_runs: ids.length, purged_rows: deleted,
        delete_seconds: round(deleteSeconds, 2), delete_rows_per_s: round(deleteRate, 0), drop_seconds: round(dropSeconds, 4),
        copy_seconds: round(copySeconds, 1), copy_rows_per_s: round(journalRows / copySeconds, 0),
        read_p50_ms_plain: round(percentile(readPlain, 50), 3), read_p50_ms_partitioned: round(percentile(readPart, 50), 3),
        read_p95_ms_plain: round(percentile(readPlain, 95), 3), read_p95_ms_partitioned: round(percentile(readPart, 95), 3),
        insert_p50_ms_plain: round(percentile(insertPlain, 50), 3), insert_p50_ms_partitioned: round(percentile(insertPart, 50), 3),
        journal_mb_before: round(sizeBefore / 2 ** 20, 1), journal_mb_after_delete: round(sizeAfterDelete / 2 ** 20, 1),
        partitioned_mb_before: round(partSizeBefore / 2 ** 20, 1), partitioned_mb_after_drop: round(partSizeAfter / 2 ** 20, 1),
      },
      note: `the plain journal keeps its ${round(sizeAfterDelete / 2 ** 20, 0)} MB after the DELETE (dead rows until vacuum reuses them), ` +
        `the partitioned one goes from ${round(partSizeBefore / 2 ** 20, 0)} to ${round(partSizeAfter / 2 ** 20, 0)} MB at once; ` +
        `replay read p95 ${round(percentile(readPlain, 95), 3)} → ${round(percentile(readPart, 95), 3)} ms (prepared, generic plan after 5 calls: run-time pruning)`,
    }];
  } finally {
    await client.end();
    await dropSchema(url, schema);
  }
}

async function size(client: Client, table: string, partitioned = false): Promise<number> {
  const text = partitioned
    ? `SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0)::bigint AS bytes FROM pg_inherits WHERE inhparent = $1::regclass`
    : `SELECT pg_total_relation_size($1::regclass) AS bytes`;
  return Number((await client.query<{ bytes: string }>(text, [table])).rows[0]!.bytes);
}

/** ms per read of one run's entries by a named prepared statement, as the engine reads a journal to replay it. */
async function readLatencies(client: Client, text: string, ids: string[]): Promise<number[]> {
  const name = `read_${Math.random().toString(36).slice(2, 8)}`;
  const times: number[] = [];
  for (const id of ids) {
    const t0 = performance.now();
    await client.query({ name, text, values: [id] });
    times.push(performance.now() - t0);
  }
  return times;
}

/** ms per single-row insert (its own commit) of a new run's entry. */
async function insertLatencies(client: Client, table: string): Promise<number[]> {
  const name = `insert_${Math.random().toString(36).slice(2, 8)}`;
  const text = `INSERT INTO ${table} (run_id, seq, kind, key, status, output, revision, started_at) VALUES ($1, $2, 'task', 'k', 'completed', '{}', 1, now())`;
  const times: number[] = [];
  for (let i = 0; i < INSERTS; i++) {
    const t0 = performance.now();
    await client.query({ name, text, values: [`run_zzzzzzzz${String(i).padStart(8, "0")}`, 1] });
    times.push(performance.now() - t0);
  }
  return times;
}
