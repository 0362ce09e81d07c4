import { inspect } from "node:util";
import { createCli } from "./context.ts";
import { describeError } from "./describe-error.ts";
import { intFlag, parseCommandLine, parseJson, UsageError } from "./flags.ts";
import { HELP } from "./help.ts";
import { packageManifest } from "../package-root.ts";

// The `durably` command (bin/durably.js loads the built file): parses the flags and runs the
// command they name, each command in its own file here, loaded only when named: `durably --help`
// or `durably runs list` would otherwise load the engine, pg-boss and the HTTP server first.

const { values: flags, positionals } = parseCommandLine();
const cli = createCli(flags);

const COMMANDS = ["start", "migrate", "trigger", "runs", "schedules", "check", "waitpoints", "purge", "audit"];

async function main(): Promise<void> {
  const [command] = positionals;
  if (flags.version) {
    process.stdout.write(`${packageManifest().version}\n`);
    return;
  }
  if (flags.help || !command || command === "help") {
    process.stdout.write(HELP + "\n");
    return;
  }
  if (!COMMANDS.includes(command)) throw new UsageError(`Unknown command "${command}"`);
  if (command === "start" || process.env.DATABASE_URL) return run();
  // Without DATABASE_URL, commands use the embedded database that `durably start` runs.
  const local = await (await import("../embedded/local-database.ts")).openLocalDatabase(cli.dataDir());
  cli.localUrl = local.url;
  try {
    await run();
  } finally {
    await local.stop();
  }
}

async function run(): Promise<void> {
  const [command, sub, arg] = positionals;
  switch (command) {
    case "start":
      return (await import("./start.ts")).startCommand(cli, positionals.slice(1));
    case "migrate":
      return (await import("./migrate.ts")).migrateCommand(cli);
    case "trigger":
      return (await import("./trigger.ts")).triggerCommand(cli, sub);
    case "runs":
      return (await import("./runs.ts")).runsCommand(cli, sub, arg);
    case "schedules":
      return (await import("./schedules.ts")).schedulesCommand(cli, sub, arg);
    case "audit":
      return (await import("./audit.ts")).auditCommand(cli, sub, arg);
    case "check":
      return (await import("./check.ts")).checkCommand(cli, positionals.slice(1));
    case "purge":
      return (await import("./purge.ts")).purgeCommand(cli);
    case "waitpoints":
      return (await import("../waitpoints/cli-command.ts")).waitpointsCommand({
        flags: { ...flags, limit: intFlag(flags.limit, "limit", 1, 100) },
        print: cli.print, withBackend: cli.withService, parseJson, usage: (message) => new UsageError(message),
      }, sub, arg);
  }
}

main().then(() => {
  // The entry files `check` imports may hold timers or pools open; its verdict is the exit code.
  if (positionals[0] === "check") process.exit();
}, (error: unknown) => {
  if (error instanceof UsageError) process.stderr.write(`${error.message}\nRun "durably --help" for usage.\n`);
  else process.stderr.write(`${describeError(error)}\n`);
  if (flags.verbose) process.stderr.write(`${inspect(error)}\n`);
  process.exit(1);
});
