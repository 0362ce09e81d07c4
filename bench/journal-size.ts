import { metadata, task } from "../sdk/index.ts";
import type { Row } from "./lib/row.ts";
import { connectClient, startBenchEngine } from "./lib/schema.ts";
import { mapLimit, round } from "./lib/stats.ts";

const RUNS = Number(process.env.BENCH_JOURNAL_RUNS ?? 1500);
const CONCURRENCY = 32;
/**
 * This row at schema 29 (commit b575fc2, PG 15: table 249, primary key 81, revision index 81), the
 * figure the journal's layout is to cut by a third. The issue's operator read 360 bytes an entry
 * on 10,000,000 entries filled by SQL, whose indexes split less than the engine's interleaved writes.
 */
const BEFORE_BYTES = 412;

/**
 * The journal's bytes per entry (table, TOAST and each index) after runs of a realistic shape,
 * written by the engine at concurrency 32 so that entries of different runs interleave in the
 * heap and the indexes as they do in production. A run: a fetch step with an object output, a
 * status, three batches of (step, status update, metadata.set), io.now and a final status — 13
 * entries of 4 kinds.
 */
export default async function journalSize(url: string): Promise<Row[]> {
  const shaped = task<{ i: number }, { imported: number; user: string }>({
    id: "bench-journal-size",
    run: async ({ i }, { io }) => {
      const user = await io.runTask("fetch-user", async () => ({ id: `user_${i}`, name: `User ${i}`, email: `user${i}@example.com` }));
      const progress = await io.createStatus("import", { label: "Importing", state: "loading", data: { progress: 0 } });
      let imported = 0;
      for (let b = 0; b < 3; b++) {
        imported += await io.runTask(`batch-${b}`, async () => 20);
        await progress.update(`progress-${b}`, { data: { progress: (b + 1) / 3, imported } });
        await metadata.set("progress", { done: b + 1, of: 3 });
      }
      await io.now();
      await progress.update("done", { state: "success", label: `Imported ${imported} items` });
      return { imported, user: user.id };
    },
  });
  const bench = await startBenchEngine(url, "journal_size", { tasks: [shaped], concurrency: CONCURRENCY, poolSize: 40 });
  const client = await connectClient(url);
  const s = `"${bench.schema}"`;
  let sizes: Sizes;
  try {
    const handles = await mapLimit(Array.from({ length: RUNS }, (_, i) => i), CONCURRENCY, (i) => shaped.trigger({ i }));
    for (const { id } of handles) {
      const ended = await bench.finished(id, 300_000);
      if (ended !== "SUCCESS") throw new Error(`run ${id} ended ${ended}`);
    }
    await client.query(`VACUUM ANALYZE ${s}.journal`);
    sizes = await journalSizes(client, s);
  } finally {
    await client.end();
    await bench.close();
  }
  const perEntry = (bytes: number) => bytes / sizes.entries;
  const total = perEntry(sizes.table + sizes.toast + sizes.indexes.reduce((sum, i) => sum + i.bytes, 0));
  const parts = [`table ${round(perEntry(sizes.table), 0)}`, `toast ${round(perEntry(sizes.toast), 0)}`,
    ...sizes.indexes.map((i) => `${i.name} ${round(perEntry(i.bytes), 0)}`)];
  return [{
    id: "journal_bytes_per_entry",
    row: `journal bytes per entry (table + indexes), ${RUNS} runs × ${round(sizes.entries / RUNS, 1)} entries`,
    engine: `${round(total, 0)} B/entry (${parts.join(", ")})`,
    baseline: `${round(sizes.rowData, 0)} B/entry (the rows' own data)`,
    ratio: round(total / sizes.rowData, 2),
    target: `≤ ⅔ of ${BEFORE_BYTES} B (this row at schema 29)`,
    met: total <= (BEFORE_BYTES * 2) / 3,
    data: {
      runs: RUNS, entries: sizes.entries, bytes_per_entry: round(total, 1), row_data_bytes_per_entry: round(sizes.rowData, 1),
      table_bytes_per_entry: round(perEntry(sizes.table), 1), toast_bytes_per_entry: round(perEntry(sizes.toast), 1),
      ...Object.fromEntries(sizes.indexes.map((i) => [`${i.name}_bytes_per_entry`, round(perEntry(i.bytes), 1)])),
      ...Object.fromEntries(sizes.columns.map((c) => [`column_${c.name}_avg_bytes`, round(c.bytes, 1)])),
    },
    note: `column averages (pg_column_size): ${sizes.columns.map((c) => `${c.name} ${round(c.bytes, 1)}`).join(", ")}`,
  }];
}

interface Sizes {
  entries: number;
  table: number;
  toast: number;
  indexes: { name: string; bytes: number }[];
  rowData: number;
  columns: { name: string; bytes: number }[];
}

async function journalSizes(client: Awaited<ReturnType<typeof connectClient>>, s: string): Promise<Sizes> {
  const relation = `'${s}.journal'::regclass`;
  const { rows: [table] } = await client.query<{ entries: string; table: string; toast: string; row_data: string }>(`
    SELECT (SELECT count(*) FROM ${s}.journal) AS entries, pg_relation_size(${relation}) AS table,
      coalesce((SELECT pg_total_relation_size(c.reltoastrelid) FROM pg_class c WHERE c.oid = ${relation} AND c.reltoastrelid <> 0), 0) AS toast,
      (SELECT avg(pg_column_size(j.*)) FROM ${s}.journal j) AS row_data`);
  const { rows: indexes } = await client.query<{ name: string; bytes: string }>(`
    SELECT c.relname AS name, pg_relation_size(i.indexrelid) AS bytes
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ${relation} ORDER BY c.relname`);
  const { rows: names } = await client.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute WHERE attrelid = ${relation} AND attnum > 0 AND NOT attisdropped ORDER BY attnum`);
  const averages = names.map((n) => `avg(coalesce(pg_column_size(j."${n.attname}"), 0)) AS "${n.attname}"`).join(", ");
  const { rows: [columns] } = await client.query<Record<string, string | null>>(`SELECT ${averages} FROM ${s}.journal j`);
  return {
    entries: Number(table!.entries),
    table: Number(table!.table),
    toast: Number(table!.toast),
    indexes: indexes.map((i) => ({ name: i.name, bytes: Number(i.bytes) })),
    rowData: Number(table!.row_data),
    columns: names.map((n) => ({ name: n.attname, bytes: Number(columns![n.attname] ?? 0) })),
  };
}
