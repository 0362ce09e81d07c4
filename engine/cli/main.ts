import { inspect } from "node:util";
import { waitpointsCommand } from "../waitpoints/cli-command.ts";
import { auditCommand } from "./audit.ts";
import { checkCommand } from "./check.ts";
import { createCli } from "./context.ts";
import { describeError } from "./describe-error.ts";
import { intFlag, parseCommandLine, parseJson, UsageError } from "./flags.ts";
import { HELP } from "./help.ts";
import { migrateCommand } from "./migrate.ts";
import { purgeCommand } from "./purge.ts";
import { runsCommand } from "./runs.ts";
import { schedulesCommand } from "./schedules.ts";
import { startCommand } from "./start.ts";
import { triggerCommand } from "./trigger.ts";

// The `durably` command (bin/durably.js loads the built file): parses the flags and runs the
// command they name, each command in its own file here.

const { values: flags, positionals } = parseCommandLine();
const cli = createCli(flags);

const COMMANDS = ["start", "migrate", "trigger", "runs", "schedules", "check", "waitpoints", "purge", "audit"];

async function main(): Promise<void> {
  const [command] = positionals;
  if (flags.help || !command) {
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
      return startCommand(cli, positionals.slice(1));
    case "migrate":
      return migrateCommand(cli);
    case "trigger":
      return triggerCommand(cli, sub);
    case "runs":
      return runsCommand(cli, sub, arg);
    case "schedules":
      return schedulesCommand(cli, sub, arg);
    case "audit":
      return auditCommand(cli, sub, arg);
    case "check":
      return checkCommand(cli, positionals.slice(1));
    case "purge":
      return purgeCommand(cli);
    case "waitpoints":
      return waitpointsCommand({
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
