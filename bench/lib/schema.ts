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
