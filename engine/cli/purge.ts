import type { FinalRunStatus } from "../../sdk/types.ts";
import type { Cli } from "./context.ts";
import { UsageError } from "./flags.ts";

/**
 * `durably purge --older-than 30d [--task id] [--status S[,S]] [--keep-status-history 1y] [--dry-run]`:
 * deletes finished runs (with the runs they started) and all they owned, except the history kept
 * longer, printing how many went or would go.
 */
export async function purgeCommand(cli: Cli): Promise<void> {
  const { flags } = cli;
  if (!flags["older-than"]) throw new UsageError("durably purge needs --older-than, e.g. --older-than 30d");
  const status = flags.status?.split(",").map((s) => s.trim().toUpperCase()) as FinalRunStatus[] | undefined;
  const duration = (text: string) => (/^\d+(\.\d+)?$/.test(text) ? Number(text) : text);
  const olderThan = duration(flags["older-than"]);
  const keep = flags["keep-status-history"];
  const dryRun = flags["dry-run"] === true;
  const result = await cli.withService((service) =>
    service.purgeRuns({ olderThan, ...(flags.task ? { task: flags.task } : {}), ...(status ? { status } : {}), dryRun,
      ...(keep ? { keepStatusHistory: duration(keep) } : {}) }));
  const runs = `${result.count} run${result.count === 1 ? "" : "s"}`;
  cli.print(result, () => (dryRun ? `Would purge ${runs} (dry run: nothing deleted)` : `Purged ${runs}`));
}
