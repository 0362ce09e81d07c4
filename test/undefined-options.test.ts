import { afterEach, describe, expect, it } from "vitest";
import { configure, disconnect } from "durably";
import { resolveOptions } from "../engine/options.ts";
import { DEFAULT_RETRY, resolveRetry } from "../sdk/retry.ts";

/**
 * Apps fill options from values that may be undefined (`process.env.X`, props), and the types
 * accept that (test/consumer/src/optional-values.tsx): an option given as undefined must act as
 * one left out, not overwrite a default.
 */
describe("an option given as undefined is an option left out", () => {
  afterEach(() => disconnect());

  it("a retry policy keeps the default of every field given as undefined", () => {
    expect(resolveRetry({ maxAttempts: undefined, factor: 3, minTimeoutInMs: undefined, maxTimeoutInMs: undefined, randomize: undefined })).toEqual({ ...DEFAULT_RETRY, factor: 3 });
  });

  it("a step's retry policy keeps its task's value for a field given as undefined", () => {
    const taskPolicy = { ...DEFAULT_RETRY, maxAttempts: 7, randomize: false };
    expect(resolveRetry({ maxAttempts: undefined, randomize: undefined, minTimeoutInMs: 5 }, taskPolicy)).toEqual({ ...taskPolicy, minTimeoutInMs: 5 });
  });

  it("engine options given as undefined get their defaults and their environment variables", () => {
    const options = resolveOptions(
      { databaseUrl: undefined, schema: undefined, concurrency: undefined, logLevel: undefined, worker: undefined, http: { port: 0, host: undefined, dashboardDir: undefined } },
      { DATABASE_URL: "postgres://127.0.0.1/app", DURABLY_SCHEMA: "from_env" },
    );
    expect(options).toMatchObject({ databaseUrl: "postgres://127.0.0.1/app", schema: "from_env", concurrency: 10, logLevel: "info", worker: true, http: { port: 0, host: "127.0.0.1" } });
  });

  it("configure takes a baseUrl beside database options given as undefined", () => {
    expect(() => configure({ baseUrl: "http://127.0.0.1:3030", databaseUrl: undefined, directUrl: undefined, schema: undefined, secretKey: undefined })).not.toThrow();
  });
});
