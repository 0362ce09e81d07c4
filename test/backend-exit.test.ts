import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { task } from "durably";
import { TEST_DATABASE_URL } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const probe = task({ id: "exit-probe", run: async (payload: { n: number }) => payload.n * 6 });

describe("a script using a configured backend", () => {
  it("exits on its own once it has triggered and polled, without calling disconnect()", async () => {
    const engine = await startTestEngine("backend-exit", { tasks: [probe] });
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/backend-script/trigger-and-poll.ts"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, DURABLY_SCHEMA: engine.options.schema },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    // Bounded: before, the pool's idle connections and the LISTEN connection kept it running for good.
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the script did not exit within 45 s; it printed: ${stdout}${stderr}`));
      }, 45_000);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(stdout)).toEqual({ status: "SUCCESS", output: 42 });
  });
});
