import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { wait } from "durably";
import { startTestEngine } from "./helpers/engine.ts";
import { TEST_DATABASE_URL } from "./helpers/db.ts";

const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));

function cli(schema: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: TEST_DATABASE_URL };
  delete env.DURABLY_SECRET_KEY;
  const result = spawnSync(process.execPath, [bin, ...args, "--schema", schema], { env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe("durably waitpoints", () => {
  it("lists, gets and completes waitpoint tokens; a second completion is refused in one line", async () => {
    const engine = await startTestEngine("wp_cli", { worker: false });
    const schema = engine.options.schema;
    const token = await wait.createToken({ tags: ["cli"] });
    await wait.createToken({ tags: ["other"] });

    const listed = cli(schema, ["waitpoints", "list", "--tag", "cli"]);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^ID +STATUS +CREATED +TIMES OUT +TAGS\\n${token.id}  WAITING +\\S+ \\S+ +cli\\n$`));
    expect(JSON.parse(cli(schema, ["waitpoints", "get", token.id, "--json"]).out)).toMatchObject({ id: token.id, status: "WAITING", tags: ["cli"] });

    const completed = cli(schema, ["waitpoints", "complete", token.id, "--output", '{"approved":true}']);
    expect(completed).toMatchObject({ code: 0, out: `completed: ${token.id}\n` });
    expect(await wait.retrieveToken(token.id)).toMatchObject({ status: "COMPLETED", output: { approved: true } });
    expect(cli(schema, ["waitpoints", "list", "--status", "completed", "--json"]).out).toContain(token.id);

    const again = cli(schema, ["waitpoints", "complete", token.id, "--output", "{}"]);
    expect(again.code).toBe(1);
    expect(again.err.trim()).toBe(`WAITPOINT_COMPLETED: Waitpoint ${token.id} is already COMPLETED: the first completion wins, this one changed nothing`);
    expect(cli(schema, ["waitpoints", "complete", token.id]).err).toContain("needs --output");
    expect(cli(schema, ["waitpoints", "list", "--status", "DONE"]).err).toContain('Unknown status "DONE"');
    expect(cli(schema, ["waitpoints", "get", "waitpoint_missing"]).err).toContain("WAITPOINT_NOT_FOUND");
  }, 60_000);
});
