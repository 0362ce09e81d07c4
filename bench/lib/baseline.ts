import pg from "pg";
import { benchSchema, connectClient, dropSchema } from "./schema.ts";
import { percentile, sleep } from "./stats.ts";

/**
 * Raw-Postgres baselines measured with the same driver (node-postgres) as the engine, on a
 * scratch schema of their own. Statements are prepared (named), as the engine's are.
 */
export async function withScratch<T>(url: string, fn: (table: string) => Promise<T>): Promise<T> {
  const scratch = await openScratch(url);
  try {
    return await fn(scratch.table);
  } finally {
    await scratch.close();
  }
}

async function openScratch(url: string): Promise<{ table: string; client: pg.Client; close(): Promise<void> }> {
  const schema = benchSchema("baseline");
  const client = await connectClient(url);
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.query(`CREATE TABLE "${schema}".scratch (id bigserial PRIMARY KEY, v text NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
  return {
    table: `"${schema}".scratch`,
    client,
    async close() {
      await client.end();
      await dropSchema(url, schema);
    },
  };
}

/** `count` calls of `statement` back to back, each one's latency (ms) appended to `into`. */
async function backToBack(count: number, into: number[], statement: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await statement();
    into.push(performance.now() - t0);
  }
}

/** Engine samples between two blocks of baseline samples in the latency rows. */
export const BLOCK = 50;

/** One autocommit single-row INSERT (one round trip, one commit) at a time, on a scratch table of its own. */
export interface InsertProbe {
  /** `count` INSERT commits back to back, each latency (ms) appended to `into`. */
  block(count: number, into: number[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Latency rows alternate blocks of engine samples with blocks of baseline samples, so that both
 * see the machine in the same state (on a noisy VM a baseline measured a minute later can be 1.5×
 * off) while each is measured back to back, as a loop of its own would be.
 */
export async function openInsertProbe(url: string): Promise<InsertProbe> {
  const { table, client, close } = await openScratch(url);
  const q = { name: "bench_insert", text: `INSERT INTO ${table} (v) VALUES ($1)`, values: ["x"] };
  for (let i = 0; i < 50; i++) await client.query(q);
  return {
    block: (count, into) => backToBack(count, into, () => client.query(q)),
    close,
  };
}

/** Latency of one autocommit single-row INSERT (one round trip, one commit), in ms. */
export async function insertCommitLatency(url: string, samples: number): Promise<{ p50: number; p99: number; all: number[] }> {
  const probe = await openInsertProbe(url);
  try {
    const all: number[] = [];
    await probe.block(samples, all);
    return { p50: percentile(all, 50), p99: percentile(all, 99), all };
  } finally {
    await probe.close();
  }
}

/** Single-row autocommit INSERTs per second, `clients` connections each looping for `ms`. */
export async function insertCommitThroughput(url: string, clients: number, ms: number): Promise<number> {
  return withScratch(url, async (table) => {
    const conns = await Promise.all(Array.from({ length: clients }, () => connectClient(url)));
    try {
      const q = { name: "bench_insert", text: `INSERT INTO ${table} (v) VALUES ($1)`, values: ["x"] };
      await Promise.all(conns.map((c) => c.query(q)));
      let count = 0;
      const t0 = performance.now();
      const deadline = t0 + ms;
      await Promise.all(conns.map(async (c) => {
        while (performance.now() < deadline) {
          await c.query(q);
          count++;
        }
      }));
      return count / ((performance.now() - t0) / 1000);
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });
}

/** The pause before each push sample, engine's and baseline's alike: both start from an idle connection. */
export const PUSH_SAMPLE_GAP_MS = 2;

/**
 * From calling `pg_notify` on one connection to the notification arriving on a LISTENing one, in
 * ms. With `durable`, the notification comes from an INSERT's commit (a WAL flush) instead of a
 * bare NOTIFY: what raw Postgres pays to make a change durable and announce it.
 */
export interface NotifyProbe {
  sample(): Promise<number>;
  /** `count` of the probe's statements back to back, each one's round trip (ms) appended to `into`: its notification is not waited for. */
  block(count: number, into: number[]): Promise<void>;
  close(): Promise<void>;
}

export async function openNotifyProbe(url: string, options: { durable?: boolean } = {}): Promise<NotifyProbe> {
  const scratch = options.durable ? await openScratch(url) : undefined;
  const statement = scratch
    ? { name: "bench_insert_notify", text: `WITH ins AS (INSERT INTO ${scratch.table} (v) VALUES ($2) RETURNING id) SELECT pg_notify($1, $2) FROM ins` }
    : { name: "bench_notify", text: "SELECT pg_notify($1, $2)" };
  const channel = benchSchema("notify");
  const listener = new pg.Client({ connectionString: url });
  const sender = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), sender.connect()]);
  await listener.query(`LISTEN "${channel}"`);
  let arrived: ((at: number) => void) | undefined;
  listener.on("notification", () => arrived?.(performance.now()));
  const q = { ...statement, values: [channel, "run_x:1"] };
  const probe: NotifyProbe = {
    async sample() {
      const received = new Promise<number>((resolve) => (arrived = resolve));
      const t0 = performance.now();
      await sender.query(q);
      return (await received) - t0;
    },
    block: (count, into) => backToBack(count, into, () => sender.query(q)),
    async close() {
      await Promise.all([listener.end(), sender.end()]);
      await scratch?.close();
    },
  };
  for (let i = 0; i < 20; i++) await probe.sample();
  return probe;
}

export async function notifyRoundTrip(url: string, samples: number, options: { durable?: boolean } = {}): Promise<number[]> {
  const probe = await openNotifyProbe(url, options);
  try {
    const all: number[] = [];
    for (let i = 0; i < samples; i++) {
      all.push(await probe.sample());
      await sleep(PUSH_SAMPLE_GAP_MS);
    }
    return all;
  } finally {
    await probe.close();
  }
}
