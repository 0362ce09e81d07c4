import { afterAll, afterEach } from "vitest";
import { createEngine, type Engine, type EngineOptions } from "durably/engine";
import { TEST_DATABASE_URL, dropSchemas, uniqueSchema } from "./db.ts";

const started: { engine: Engine; schema: string; keep: boolean }[] = [];
/** Schemas a test named itself: kept from one test to the next, and dropped after the file's last. */
const named = new Set<string>();

/**
 * Starts an engine on a fresh schema; it is stopped and its schema dropped after the test. An
 * engine on a schema the test names is stopped after the test too, and its schema dropped after
 * the file's tests (several tests may share it).
 */
export async function startTestEngine(name: string, options: EngineOptions = {}): Promise<Engine> {
  const schema = options.schema ?? uniqueSchema(name);
  const engine = createEngine({
    databaseUrl: TEST_DATABASE_URL,
    schema,
    logLevel: "error",
    pollIntervalMs: 200,
    ...options,
  });
  await engine.start();
  started.push({ engine, schema, keep: options.schema !== undefined });
  if (options.schema !== undefined) named.add(options.schema);
  return engine;
}

afterEach(async () => {
  const engines = started.splice(0);
  for (const { engine } of engines) await engine.stop();
  await dropSchemas(...engines.filter((e) => !e.keep).map((e) => e.schema));
});

afterAll(async () => {
  await dropSchemas(...named);
  named.clear();
});

/**
 * Runs `fn` with an engine on a given schema, then stops it: for tests that change the code
 * between two engines on the same data, as a deploy does.
 */
export async function withEngine<T>(schema: string, tasks: EngineOptions["tasks"], fn: () => Promise<T>): Promise<T> {
  const engine = createEngine({ databaseUrl: TEST_DATABASE_URL, schema, tasks, logLevel: "silent", pollIntervalMs: 100 });
  await engine.start();
  try {
    return await fn();
  } finally {
    await engine.stop();
  }
}
