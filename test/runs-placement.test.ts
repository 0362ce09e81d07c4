// Where new runs go (migration 45). On a table of a million finished runs the free space map hands
// out the scraps of free space VACUUM found in their pages: a new run went into one, and each later
// version of its row, not fitting there, into another, 5 to 9 cold pages a run, each copied whole
// into the WAL the first time since a checkpoint. With a fill factor of 90 an insert takes only a
// page that keeps a tenth of itself free after it, room the run's later versions use.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configure, task } from "durably";
import { disconnect } from "../sdk/backend.ts";
import { TEST_DATABASE_URL, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";

const schema = uniqueSchema("runs_placement");
const PAGE = 8192;
/** Page header, and a line pointer per row. */
const PAGE_HEADER = 24;
const LINE_POINTER = 4;
const maxAligned = (bytes: number) => Math.ceil(bytes / 8) * 8;

const noop = task({ id: "placement-noop", run: async () => 1 });

beforeAll(() => configure({ databaseUrl: TEST_DATABASE_URL, schema }));
afterAll(() => disconnect());

describe("a new run", () => {
  it("goes only to a page that keeps a tenth of itself free after it", async () => {
    // No worker: every row stays as its insert wrote it.
    await startTestEngine("runs_placement", { schema, worker: false, tasks: [noop] });
    for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 40 }, (_, j) => noop.trigger(null, { tags: [`batch:${i}`, `n:${j}`] })));
    const pages = await sql<{ page: number; rows: number; bytes: number[] }>(
      `SELECT (ctid::text::point)[0]::int AS page, count(*)::int AS rows, array_agg(pg_column_size(r.*)) AS bytes
       FROM "${schema}".runs r GROUP BY 1 ORDER BY 1`);
    expect(pages.length).toBeGreaterThan(3);
    const used = pages.map((p) => PAGE_HEADER + p.bytes.reduce((sum, b) => sum + LINE_POINTER + maxAligned(b), 0));
    // Every page but the last was filled as far as its inserts could go: to 90%, not to the brim.
    for (const bytes of used.slice(0, -1)) expect(bytes).toBeLessThanOrEqual(PAGE * 0.9);
  }, 60_000);
});
