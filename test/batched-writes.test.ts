import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "durably/engine";
import { Database, type Queryable } from "../engine/db/database.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import type { JournalItem } from "../engine/db/hot-path/write-journal.ts";
import { BatchedWrites } from "../engine/journal/batched-writes.ts";
import { createLogger } from "../engine/logger.ts";
import { Committed } from "../engine/notify/committed.ts";
import type { JsonJournalRow } from "../engine/db/rows.ts";
import { TEST_DATABASE_URL, dropSchemas, insertExecutingRun, sql, uniqueSchema } from "./helpers/db.ts";

const schema = uniqueSchema("batched_writes");
const statements = buildStatements(schema);

/** A database that counts the journal batches in flight at once. */
class Watched extends Database {
  inFlight = 0;
  mostInFlight = 0;
  batches = 0;
  /** The batches that claimed no run, sent without the claim's part of the statement. */
  claimless = 0;
  /**
   * While set, the first batch holds its statement (up to 2 s) until a second one is in flight:
   * on a loaded machine two lanes that can overlap might otherwise just miss each other.
   */
  pairUp = false;
  #partnerArrived: (() => void) | undefined;

  override async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], on?: Queryable) {
    const claimless = text === statements.journal.writeManyNoClaim;
    const batch = claimless || text === statements.journal.writeMany;
    if (batch) this.batches++;
    if (claimless) this.claimless++;
    if (batch) this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
    try {
      if (batch && this.pairUp) await this.#pair();
      return await super.query<R>(text, values, on);
    } finally {
      if (batch) this.inFlight--;
    }
  }

  #pair(): Promise<void> {
    if (this.inFlight >= 2) {
      this.pairUp = false;
      this.#partnerArrived?.();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      this.#partnerArrived = () => (clearTimeout(timer), resolve());
    });
  }
}

const db = new Watched(TEST_DATABASE_URL, 8, createLogger("error"));
const runs = Array.from({ length: 8 }, (_, i) => ({ id: `run_lanes${i}`, lease: "" }));

beforeAll(async () => {
  await db.withClient((client) => migrate(client, schema));
  for (const run of runs) run.lease = (await insertExecutingRun(schema, run.id)).lease;
});

afterAll(async () => {
  await db.end();
  await dropSchemas(schema);
});

const entry = (run: (typeof runs)[number], seq: number): JournalItem => ({
  run_id: run.id, lease: run.lease, seq, kind: "task", key: `step-${seq}`, status: "completed",
  output: { json: seq }, error: null, attempts: 1, started_at: new Date(), next_status: null,
});

describe("journal write batches", () => {
  it("run in two lanes at once, and each run's writes land in order", async () => {
    const writes = new BatchedWrites(db, statements, "durably_test_lanes");
    db.pairUp = true;
    const landed = await Promise.all(runs.flatMap((run) => [1, 2, 3].map((seq) => writes.write(entry(run, seq)))));
    db.pairUp = false;
    expect(landed.every(Boolean)).toBe(true);
    expect(db.mostInFlight).toBe(2);
    expect(db.claimless).toBe(db.batches);
    for (const run of runs) {
      const rows = await sql<{ seq: number; revision: string }>(`SELECT seq, revision FROM "${schema}".journal WHERE run_id = $1 ORDER BY revision`, [run.id]);
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    }
  });
});

describe("claims riding journal batches", () => {
  it("share one statement with a run's write, each request getting its own runs", async () => {
    const ready = ["run_ready_a", "run_ready_b", "run_ready_c", "run_ready_d"];
    for (const [i, id] of ready.entries()) {
      await sql(
        `INSERT INTO "${schema}".runs (id, task_id, task_version, payload, status, ready_at) VALUES ($1, 'task', '1', '{}', 'QUEUED', now() - make_interval(secs => 10 - $2))`,
        [id, i],
      );
    }
    const writes = new BatchedWrites(db, statements, "durably_test_claims");
    const run = runs[0]!;
    const before = db.batches;
    const claimless = db.claimless;
    const [two, one, landed] = await Promise.all([writes.claimReady(2, run.id), writes.claimReady(1, run.id), writes.write(entry(run, 10))]);
    expect(db.batches - before).toBe(1);
    expect(db.claimless).toBe(claimless);
    expect(landed).toBe(true);
    expect(two.map((r) => r.id)).toEqual(["run_ready_a", "run_ready_b"]);
    expect(one.map((r) => r.id)).toEqual(["run_ready_c"]);
    const states = await sql<{ id: string; status: string }>(`SELECT id, status FROM "${schema}".runs WHERE id = ANY($1) ORDER BY id`, [ready]);
    expect(states.map((r) => r.status)).toEqual(["EXECUTING", "EXECUTING", "EXECUTING", "QUEUED"]);
  });
});

/** Records every entry a write hands over, followed or not. */
class RecordedEntries extends Committed<JsonJournalRow> {
  readonly published: string[] = [];
  override publish(runId: string, entry: JsonJournalRow): void {
    this.published.push(`${runId}:${entry.key}`);
    super.publish(runId, entry);
  }
}

describe("entries for this process's live streams", () => {
  const status = (run: (typeof runs)[number], seq: number): JournalItem => ({
    ...entry(run, seq), kind: "status", key: `progress-${seq}`, output: { json: { key: "progress", label: `${seq}` } },
  });

  it("come back only for runs a stream here follows, batched or alone", async () => {
    const entries = new RecordedEntries();
    const writes = new BatchedWrites(db, statements, "durably_test_entries", entries);
    // Runs whose ids end in an even digit share a lane.
    const [first, followed, unfollowed] = [runs[2]!, runs[4]!, runs[6]!];
    const received: string[] = [];
    const stop = entries.subscribe(followed.id, (row) => received.push(row.key));

    // The first write finds the lane idle and goes alone; the other two wait for it and go together.
    const before = db.batches;
    const landed = await Promise.all([writes.write(status(first, 20)), writes.write(status(followed, 20)), writes.write(status(unfollowed, 20))]);
    expect(landed).toEqual([true, true, true]);
    expect(db.batches - before).toBe(1);
    // Alone: the single-write statement.
    expect(await writes.write(status(unfollowed, 21))).toBe(true);
    expect(await writes.write(status(followed, 21))).toBe(true);

    expect(received).toEqual(["progress-20", "progress-21"]);
    expect(entries.published).toEqual([`${followed.id}:progress-20`, `${followed.id}:progress-21`]);
    stop();
  });

  it("come back for every kind of entry, but not one whose write moved its run's status", async () => {
    const entries = new RecordedEntries();
    const writes = new BatchedWrites(db, statements, "durably_test_entry_kinds", entries);
    const run = await insertExecutingRun(schema, "run_entry_kinds");
    const received: string[] = [];
    const stop = entries.subscribe(run.id, (row) => received.push(`${row.kind}:${row.key}`));
    expect(await writes.write(entry(run, 1))).toBe(true);
    expect(await writes.write({ ...entry(run, 2), kind: "wait", key: "nap", next_status: "WAITING" })).toBe(true);
    expect(received).toEqual(["task:step-1"]);
    stop();
  });
});

describe("a write that meets a completed entry", () => {
  it("is refused and leaves its run as it was (revision, metadata, state), alone or in a batch whose other writes land", async () => {
    const run = await insertExecutingRun(schema, "run_done_entry", { a: 1 });
    const writes = new BatchedWrites(db, statements, "durably_test_done_entry");
    expect(await writes.write(entry(run, 1))).toBe(true);
    const before = await sql(`SELECT revision, metadata, status FROM "${schema}".runs WHERE id = $1`, [run.id]);

    const stale: JournalItem = { ...entry(run, 1), md: true, md_op: "set", md_key: "a", md_value: 0 };
    expect(await writes.write(stale)).toBe(false);
    expect(await writes.write({ ...entry(run, 1), next_status: "WAITING" })).toBe(false);
    // The same lane (ids ending in odd characters): the first write goes alone, the next two together.
    const other = runs[1]!;
    const [, batched, fresh] = await Promise.all([writes.write(entry(other, 30)), writes.write(stale), writes.write(entry(other, 31))]);
    expect([batched, fresh]).toEqual([false, true]);

    expect(await sql(`SELECT revision, metadata, status FROM "${schema}".runs WHERE id = $1`, [run.id])).toEqual(before);
    expect(await sql(`SELECT seq FROM "${schema}".run_metadata_history WHERE run_id = $1`, [run.id])).toEqual([]);
  });

  it("may replace a failed one: a retried step", async () => {
    const run = await insertExecutingRun(schema, "run_failed_entry");
    const writes = new BatchedWrites(db, statements, "durably_test_failed_entry");
    expect(await writes.write({ ...entry(run, 1), status: "failed", output: null, error: { message: "boom" } })).toBe(true);
    expect(await writes.write({ ...entry(run, 1), attempts: 2 })).toBe(true);
    expect(await sql(`SELECT status, attempts FROM "${schema}".journal WHERE run_id = $1`, [run.id])).toEqual([{ status: "completed", attempts: 2 }]);
  });
});
