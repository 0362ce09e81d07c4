import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runs } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";
import { TEST_DATABASE_URL } from "./helpers/db.ts";
import { checked } from "./fixtures/check/v1.ts";
import { plain } from "./fixtures/check/plain.ts";

const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/check/${name}.ts`, import.meta.url));

function check(schema: string, file: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, "check", fixture(file), "--schema", schema, ...args], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe("durably check", () => {
  it("passes unchanged code, fails a renamed, reordered or removed step with a diff, and io.patched makes the change pass", async () => {
    const engine = await startTestEngine("check", { tasks: [checked] });
    const schema = engine.options.schema;
    const { id } = await checked.trigger({});
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" ? true : undefined), 20_000);

    const same = check(schema, "v1");
    expect(same.err).toBe("");
    expect(same.code).toBe(0);
    expect(same.out).toContain("1 ok, 0 diverged");

    const renamed = check(schema, "renamed");
    expect(renamed.code).toBe(1);
    expect(renamed.out).toContain(`✗ ${id}  checked@1  (WAITING)  diverges at seq 2`);
    expect(renamed.out).toContain('- recorded:  task("charge")');
    expect(renamed.out).toContain('+ new code:  task("charge-card")');
    expect(renamed.out).toMatch(/at .*renamed\.ts:\d+:\d+/);

    const reordered = check(schema, "reordered");
    expect(reordered.code).toBe(1);
    expect(reordered.out).toContain("diverges at seq 1");
    expect(reordered.out).toContain('- recorded:  task("reserve")');
    expect(reordered.out).toContain('+ new code:  task("charge")');

    const removed = check(schema, "removed", "--json");
    expect(removed.code).toBe(1);
    expect(JSON.parse(removed.out)).toMatchObject([
      { runId: id, outcome: "diverged", divergence: { seq: 2, recorded: { kind: "task", key: "charge" }, current: { kind: "wait", key: "cool-off" } } },
    ]);

    const patched = check(schema, "patched");
    expect(patched.code).toBe(0);
    expect(patched.out).toContain("1 ok, 0 diverged");

    expect(check(schema, "renamed", "--task", "other").code).toBe(0);
  }, 120_000);

  it("checks a run that succeeded without an io call: code that now makes one diverges, unless behind io.patched", async () => {
    const engine = await startTestEngine("check_plain", { tasks: [plain] });
    const schema = engine.options.schema;
    const { id } = await plain.trigger({ n: 21 });
    expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("SUCCESS");

    const same = check(schema, "plain");
    expect(same.code).toBe(0);
    expect(same.out).toContain("1 ok, 0 diverged");

    const withIo = check(schema, "plain-io");
    expect(withIo.code).toBe(1);
    expect(withIo.out).toContain(`✗ ${id}  plain@1  (SUCCESS)  diverges at seq 1`);
    expect(withIo.out).toContain("- recorded:  nothing (the journal ends here)");
    expect(withIo.out).toContain('+ new code:  task("lookup")');

    const patched = check(schema, "plain-patched");
    expect(patched.code).toBe(0);
    expect(patched.out).toContain("1 ok, 0 diverged");
  }, 120_000);

  it("an unknown --run id is an error, not zero runs checked", async () => {
    const engine = await startTestEngine("check_norun", { tasks: [plain] });
    const unknown = check(engine.options.schema, "plain", "--run", "run_nope");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('RUN_NOT_FOUND: No run with id "run_nope"\n');
    expect(unknown.out).toBe("");
  }, 60_000);
});
