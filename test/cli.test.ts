import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_DATABASE_URL, dropSchemas, insertExecutingRun, sql, uniqueSchema } from "./helpers/db.ts";

const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
const fixtureFile = (name: string) => fileURLToPath(new URL(`./fixtures/cli/${name}`, import.meta.url));
const fixture = (name: string) => fixtureFile(`${name}.ts`);
const schema = uniqueSchema("cli");
afterAll(() => dropSchemas(schema));

/** The CLI on `schema`, with DATABASE_URL unless `env` says otherwise and no secret key unless given. */
function cli(args: string[], env: Record<string, string> = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: TEST_DATABASE_URL };
  delete base.DURABLY_SECRET_KEY;
  const result = spawnSync(process.execPath, [bin, ...args, "--schema", schema], { env: { ...base, ...env }, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** The packages (folders under node_modules) the CLI loaded to run `args`. */
function packagesLoaded(args: string[]): Set<string> {
  const file = join(mkdtempSync(join(tmpdir(), "durably-cli-modules-")), "modules.txt");
  const result = spawnSync(process.execPath, ["--import", fixtureFile("record-modules.mjs"), bin, ...args, "--schema", schema], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, DURABLY_TEST_MODULES: file }, encoding: "utf8", timeout: 60_000,
  });
  if (result.error) throw result.error;
  const urls = readFileSync(file, "utf8").split("\n");
  return new Set(urls.map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((name): name is string => !!name));
}

/** An error the CLI reports as one line (usage errors add a pointer to --help), never a stack trace. */
function expectOneLine(result: ReturnType<typeof cli>, line: string | RegExp): void {
  expect(result.code).toBe(1);
  const [first, ...rest] = result.err.trimEnd().split("\n");
  expect(first).toMatch(line);
  expect(rest.filter((l) => l !== 'Run "durably --help" for usage.')).toEqual([]);
}

describe("durably CLI start-up", () => {
  it("loads only what the command needs: neither --help nor runs loads pg-boss or the HTTP server, and only start and check load the TypeScript loader", () => {
    const help = packagesLoaded(["--help"]);
    for (const name of ["pg-boss", "hono", "tsx"]) expect(help).not.toContain(name);
    const list = packagesLoaded(["runs", "list"]);
    expect(list).toContain("pg");
    for (const name of ["pg-boss", "hono", "tsx"]) expect(list).not.toContain(name);
    expect(packagesLoaded(["check", fixture("twin-a")])).toContain("tsx");
  }, 60_000);

  it("--version and -v print the package's version; help, --help and -h the usage", () => {
    const { version } = JSON.parse(readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8")) as { version: string };
    for (const flag of ["--version", "-v"]) expect(cli([flag])).toEqual({ code: 0, out: `${version}\n`, err: "" });
    const usage = cli(["--help"]);
    expect(usage.out).toMatch(/^durably — durable workflows on PostgreSQL\n/);
    expect(usage.out).toContain("-v, --version");
    for (const args of [["help"], ["-h"]]) expect(cli(args)).toEqual(usage);
  });
});

describe("durably CLI errors", () => {
  it("a bad DATABASE_URL is one line naming the problem: refused, unknown database, not a URL", () => {
    expectOneLine(cli(["runs", "list"], { DATABASE_URL: "postgres://root@127.0.0.1:1/test" }), /^DATABASE_UNREACHABLE: Cannot connect to PostgreSQL at 127\.0\.0\.1:1: connection refused/);
    expectOneLine(cli(["runs", "list"], { DATABASE_URL: TEST_DATABASE_URL.replace(/\/[^/]*$/, "/durably_no_such_db") }), 'PostgreSQL: database "durably_no_such_db" does not exist');
    expectOneLine(cli(["runs", "list"], { DATABASE_URL: "notaurl" }), /databaseUrl: must be a postgres:\/\/ URL \(DATABASE_URL/);
    const verbose = cli(["runs", "list", "--verbose"], { DATABASE_URL: "notaurl" });
    expect(verbose.code).toBe(1);
    expect(verbose.err).toMatch(/\n\s+at resolveOptions/);
  }, 60_000);

  it("a missing entry file, a taken port, a short or missing secret key are one line each", async () => {
    expectOneLine(cli(["check", "nope.ts"]), 'Entry file "nope.ts" not found');
    expectOneLine(cli(["start", "--port", "0"], { DURABLY_SECRET_KEY: "short" }), /secretKey: must be at least 16 characters \(DURABLY_SECRET_KEY/);
    expectOneLine(cli(["start", "--port", "0"]), "The HTTP API needs a secret key: set DURABLY_SECRET_KEY (at least 16 characters), or pass --dev for local use only");
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      expectOneLine(cli(["start", "--dev", "--port", String(port)]), `Cannot listen at 127.0.0.1:${port}: the address is already in use; choose another --port`);
    } finally {
      taken.close();
    }
  }, 60_000);

  it("durably trigger refuses a --max-duration that is not positive seconds before connecting", () => {
    expectOneLine(cli(["trigger", "any-task", "--max-duration", "0"]), "--max-duration must be a positive number of seconds");
    expectOneLine(cli(["trigger", "any-task", "--max-duration", "soon"]), "--max-duration must be a positive number of seconds");
  });

  it("durably trigger refuses a --priority that is not whole seconds from 0 before connecting", () => {
    expectOneLine(cli(["trigger", "any-task", "--priority=-1"]), "--priority must be a whole number of seconds, 0 or more");
    expectOneLine(cli(["trigger", "any-task", "--priority", "1.5"]), "--priority must be a whole number of seconds, 0 or more");
  });

  it("durably trigger refuses a --debounce-key without --debounce-delay, or an unknown --debounce-mode, before connecting", () => {
    expectOneLine(cli(["trigger", "any-task", "--debounce-key", "k"]), "--debounce-key and --debounce-delay go together");
    expectOneLine(cli(["trigger", "any-task", "--debounce-key", "k", "--debounce-delay", "5s", "--debounce-mode", "middle"]), "--debounce-mode must be leading or trailing");
  });

  it("an unknown runs command is named as such; --from-seq 0 and --limit 0 are refused as the server would", () => {
    expectOneLine(cli(["runs", "frob"]), 'Unknown runs command "frob"; use list, get, watch, retry, replay, cancel or fork');
    expectOneLine(cli(["runs", "fork", "run_x", "--from-seq", "0"]), "--from-seq must be an integer of at least 1");
    expectOneLine(cli(["runs", "list", "--limit", "0"]), "--limit must be an integer from 1 to 100");
    expectOneLine(cli(["runs", "list", "--bogus"]), /^Unknown option '--bogus'/);
    // Node's own words for a flag without its value can take two or three lines, but no stack.
    const missing = cli(["runs", "list", "--limit"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^Option '--limit/);
    expect(missing.err).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("start refuses two different tasks with one id, naming it", () => {
    expectOneLine(cli(["start", "--dev", "--port", "0", fixture("twin-a"), fixture("twin-b")]), /^DUPLICATE_TASK: .*"my-task" \(version 1\)/);
  }, 60_000);

  it("schedules create refuses a task no engine registered, and writes nothing", () => {
    expectOneLine(cli(["schedules", "create", "nope2", "--cron", "* * * * *", "--deduplication-key", "nope2"]), 'TASK_NOT_FOUND: No task or job with id "nope2" is registered');
    const listed = cli(["schedules", "list", "--json"]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([]);
  }, 60_000);

  it("a cancel of a finished run says it did nothing; of an unfinished one, that it canceled it", async () => {
    expect(cli(["migrate"]).code).toBe(0);
    await insertExecutingRun(schema, "run_cli_done");
    await sql(`UPDATE "${schema}".runs SET status = 'SUCCESS', lease = NULL, finished_at = now() WHERE id = 'run_cli_done'`);
    await insertExecutingRun(schema, "run_cli_going");
    expect(cli(["runs", "cancel", "run_cli_done"])).toMatchObject({ code: 0, out: "run_cli_done had already finished (SUCCESS): nothing to cancel\n" });
    expect(cli(["runs", "cancel", "run_cli_going"])).toMatchObject({ code: 0, out: "cancel: run_cli_going\n" });
    expect(JSON.parse(cli(["runs", "cancel", "run_cli_done", "--json"]).out)).toEqual({ id: "run_cli_done", status: "SUCCESS" });
  }, 60_000);
});
