import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { configure, runs } from "durably";
import { disconnect } from "../sdk/backend.ts";
import { dropSchemas, sql, TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";
import { withEngine } from "./helpers/engine.ts";
import { ingest as broken } from "./fixtures/repair/broken.ts";
import { executed, ingest as fixed } from "./fixtures/repair/fixed.ts";

const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
const schema = uniqueSchema("repair");
afterAll(async () => {
  await disconnect();
  await dropSchemas(schema);
});

function check(...args: string[]) {
  const file = fileURLToPath(new URL("./fixtures/repair/fixed.ts", import.meta.url));
  const result = spawnSync(process.execPath, [bin, "check", file, "--schema", schema, ...args], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL }, encoding: "utf8", timeout: 60_000, input: "",
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe("durably check --repair", () => {
  it("after a broken deploy, forks each failed run from the first step the fixed code runs differently, once confirmed", async () => {
    const [plain, strict] = await withEngine(schema, [broken], async () => {
      const ids = [(await broken.trigger({ n: 21 })).id, (await broken.trigger({ n: 5, strict: true })).id];
      for (const id of ids) expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
      return ids;
    });

    const plan = check("--task", "repair-ingest", "--repair");
    expect(plan.err).toBe("");
    expect(plan.out).toContain("2 failed runs to fork from the first step that now runs differently:");
    expect(plan.out).toContain(`${plain}  repair-ingest@1  from seq 2: task("parse") failed and runs again`);
    expect(plan.out).toContain(`${strict}  repair-ingest@1  from seq 2: the code now calls task("validate") where task("parse") was recorded`);
    expect(plan.out).toContain("Nothing forked: confirm, or pass --yes.");
    expect(await sql(`SELECT id FROM "${schema}".runs WHERE forked_from IS NOT NULL`)).toEqual([]);

    const done = check("--task", "repair-ingest", "--repair", "--yes", "--json");
    expect(done.code).toBe(0);
    const { forks } = JSON.parse(done.out) as { forks: { runId: string; fromSeq: number; forkId: string }[] };
    expect(forks.map((f) => [f.runId, f.fromSeq])).toEqual([[plain, 2], [strict, 2]]);

    configure({ databaseUrl: TEST_DATABASE_URL, schema });
    const outputs = await withEngine(schema, [fixed], async () =>
      Promise.all(forks.map(async (f) => (await runs.poll(f.forkId, { timeoutMs: 20_000 })).output)),
    );
    expect(outputs).toEqual([42, 10]);
    // The step before the fork point was not run again: its recorded output was replayed.
    expect(executed.sort()).toEqual(["parse", "parse", "validate"]);
  }, 120_000);
});
