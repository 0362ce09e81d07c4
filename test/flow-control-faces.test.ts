import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { createHttpClient, type TriggerOptions } from "durably/react";
import { dropSchemas, TEST_DATABASE_URL, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";

const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
const schema = uniqueSchema("flow_faces");
afterAll(() => dropSchemas(schema));
const SECRET = "flow-faces-secret-0123456789";

const email = task({ id: "faces-email", run: async (to: string) => to });

function cli(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: TEST_DATABASE_URL };
  delete env.DURABLY_SECRET_KEY;
  const result = spawnSync(process.execPath, [bin, ...args, "--schema", schema], { env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** The flow-control options a trigger takes, as each face passes them. */
const expected = { priority: 30, maxDuration: 90 };

describe("flow-control options through every face besides the SDK", () => {
  it("durably trigger --priority --max-duration --debounce-key --debounce-delay start a run with them, and the key returns it again", async () => {
    await startTestEngine("flow_faces_cli", { schema, tasks: [email], worker: false });
    const flags = ["--priority", "30", "--max-duration", "90", "--debounce-key", "cli", "--debounce-delay", "1m"];
    const first = cli(["trigger", "faces-email", "--payload", '"a@example.com"', ...flags]);
    expect([first.code, first.err]).toEqual([0, ""]);
    const id = first.out.trim();
    expect(await runs.retrieve(id)).toMatchObject({ ...expected, status: "QUEUED" });
    const again = cli(["trigger", "faces-email", "--payload", '"b@example.com"', ...flags, "--debounce-mode", "trailing"]);
    expect([again.code, again.out.trim()]).toEqual([0, id]);
    expect((await runs.retrieve(id)).payload).toBe("b@example.com");
  }, 120_000);

  it("durably/react's TriggerOptions (useTaskTrigger's submit) carry priority, maxDuration and debounce to the engine", async () => {
    const engine = await startTestEngine("flow_faces_react", { schema, tasks: [email], worker: false, http: { port: 0 }, secretKey: SECRET });
    const api = createHttpClient({ baseUrl: engine.url!, accessToken: SECRET });
    const options: TriggerOptions = { ...expected, debounce: { key: "react", delay: "1m" } };
    const first = await api.triggerTask("faces-email", { payload: "a@example.com", options });
    expect(await runs.retrieve(first.id)).toMatchObject({ ...expected, status: "QUEUED" });
    const again = await api.triggerTask("faces-email", { payload: "b@example.com", options });
    expect(again.id).toBe(first.id);
  });
});
