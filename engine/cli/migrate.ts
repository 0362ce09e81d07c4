import { installScheduler } from "../jobs/pg-boss.ts";
import { createLogger } from "../logger.ts";
import { migrateAt } from "../migrate.ts";
import { resolveOptions } from "../options.ts";
import type { Cli } from "./context.ts";

/** `durably migrate`. */
export async function migrateCommand(cli: Cli): Promise<void> {
  const o = resolveOptions(cli.connection());
  const applied = await migrateAt(o.directUrl, o.schema);
  // pg-boss's tables too: a backend that only triggers sends jobs into them and installs nothing.
  await installScheduler({ databaseUrl: o.directUrl, schema: o.schema, heartbeatSeconds: o.heartbeatSeconds, recoverySeconds: o.recoverySeconds }, createLogger("warn"));
  cli.print({ applied }, () => (applied.length ? `Applied migrations ${applied.join(", ")}` : "Already up to date"));
}
