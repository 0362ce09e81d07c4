import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { dropSchemas, sql, TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";

const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
const schema = uniqueSchema("bulk_cli");
afterAll(() => dropSchemas(schema));

function cli(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: TEST_DATABASE_URL };
  delete env.DURABLY_SECRET_KEY;
  const result = spawnSync(process.execPath, [bin, ...args, "--schema", schema], { env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const failing = task({ id: "bulk-cli-failing", retry: { maxAttempts: 1 }, run: async (): Promise<never> => { throw new Error("no"); } });

describe("durably runs bulk", () => {
  it("--dry-run counts the matching runs; without it every one is acted on once and the summary is printed; bad input is one line", async () => {
    await startTestEngine("bulk_cli", { schema, tasks: [failing], worker: true });
    const ids = [(await failing.trigger({})).id, (await failing.trigger({})).id];
    for (const id of ids) expect((await runs.poll(id, { timeoutMs: 20_000 })).status).toBe("FAILURE");

    const dry = cli(["runs", "bulk", "retry", "--status", "FAILURE", "--task", "bulk-cli-failing", "--dry-run"]);
    expect([dry.code, dry.out]).toEqual([0, "retry would act on 2 runs (dry run: nothing done)\n"]);
    expect(await sql(`SELECT 1 FROM "${schema}".bulk_actions`)).toEqual([]);

    const done = cli(["runs", "bulk", "replay", "--status", "FAILURE", "--task", "bulk-cli-failing", "--json"]);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.out)).toMatchObject({ action: "replay", status: "COMPLETED", total: 2, succeeded: 2, failed: 0 });
    const replays = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs`);
    expect(replays).toEqual([{ n: 4 }]);

    // A run that cannot be acted on is counted, and the exit code says so.
    const finished = cli(["runs", "bulk", "cancel", "--task", "bulk-cli-failing", "--status", "FAILURE"]);
    expect(finished.code).toBe(1);
    expect(finished.out).toMatch(/^cancel bulk_\w+: (\d+) runs, 0 succeeded, \1 failed\n$/);

    const bad = cli(["runs", "bulk", "frob"]);
    expect([bad.code, bad.err.split("\n")[0]]).toEqual([1, 'Unknown runs bulk command "frob"; use retry, cancel, replay, fork']);
    const noSeq = cli(["runs", "bulk", "fork", "--task", "bulk-cli-failing"]);
    expect([noSeq.code, noSeq.err.split("\n")[0]]).toEqual([1, "durably runs bulk fork needs --from-seq N"]);
  }, 120_000);
});
