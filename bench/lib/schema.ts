import pg from "pg";
import { createEngine, type Engine, type EngineOptions } from "../../engine/index.ts";

/** A schema name of its own per benchmark, dropped afterwards (with pg-boss's `<schema>_boss`). */
export function benchSchema(name: string): string {
  return `bench_${name.replace(/[^a-z0-9]/g, "_")}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface BenchEngine {
  engine: Engine;
  schema: string;
  /**
   * Waits for the run to finish and returns its status. It looks every 20 ms from a connection of
   * its own instead of following the run's notifications, so the observer adds no work per step.
   */
  finished(id: string, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

/** Starts an in-process engine (worker included) on a fresh schema; `close` stops it and drops the schema. */
export async function startBenchEngine(url: string, name: string, options: EngineOptions): Promise<BenchEngine> {
  const schema = benchSchema(name);
  const engine = createEngine({ databaseUrl: url, schema, logLevel: "error", ...options });
  await engine.start();
  return {
    engine,
    schema,
    async finished(id, timeoutMs) {
      const client = await connectClient(url);
      try {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const { rows: [run] } = await client.query<{ status: string }>(`SELECT status FROM "${schema}".runs WHERE id = $1`, [id]);
          if (run && ["SUCCESS", "FAILURE", "CANCELED"].includes(run.status)) return run.status;
          if (Date.now() > deadline) throw new Error(`run ${id} did not finish in ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        await client.end();
      }
    },
    async close() {
      await engine.stop();
      await dropSchema(url, schema);
    },
  };
}

/** A single client for the benchmark's own SQL (setup, progress checks), outside the engine's pools. */
export async function connectClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: "durably-bench" });
  await client.connect();
  return client;
}
