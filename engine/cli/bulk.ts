import { BULK_ACTION_KINDS, RUN_STATUSES, type BulkAction, type BulkActionKind, type BulkRunsFilter, type RunStatus } from "../../sdk/types.ts";
import type { Cli } from "./context.ts";
import { intFlag, unknownCommand, UsageError } from "./flags.ts";

const dateFlag = (value: string | undefined, name: string): Date | undefined => {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${name} must be an ISO date`);
  return date;
};

/** The filter `runs list` takes, plus --task-version, --from and --to. */
function filterOf(cli: Cli): BulkRunsFilter {
  const { flags } = cli;
  const status = flags.status?.split(",").map((s) => s.trim().toUpperCase()) as RunStatus[] | undefined;
  for (const s of status ?? []) if (!RUN_STATUSES.includes(s)) throw new UsageError(`Unknown status "${s}"; one of ${RUN_STATUSES.join(", ")}`);
  const from = dateFlag(flags.from, "from");
  const to = dateFlag(flags.to, "to");
  return {
    ...(status ? { status } : {}), ...(flags.task ? { taskIdentifier: flags.task } : {}), ...(flags.tag?.[0] ? { tag: flags.tag[0] } : {}),
    ...(flags["task-version"] ? { taskVersion: flags["task-version"] } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}),
  };
}

/**
 * `durably runs bulk retry|cancel|replay|fork [filter] [--dry-run]`: acts on every matching run
 * and waits until all are done, showing progress on a terminal. Exits 1 when some run could not
 * be acted on. Stopped midway, the action goes on in the next engine that finds it abandoned.
 */
export async function bulkCommand(cli: Cli, action: string | undefined): Promise<void> {
  if (!action || !(BULK_ACTION_KINDS as readonly string[]).includes(action)) throw unknownCommand("runs bulk", action, BULK_ACTION_KINDS.join(", "));
  const fromSeq = intFlag(cli.flags["from-seq"], "from-seq", 1);
  if (action === "fork" && fromSeq === undefined) throw new UsageError("durably runs bulk fork needs --from-seq N");
  const request = { action: action as BulkActionKind, filter: filterOf(cli), ...(fromSeq ? { fromSeq } : {}), ...(cli.flags["dry-run"] ? { dryRun: true } : {}) };
  const result = await cli.withService(async (service) => {
    const started = await service.bulkAction(request);
    if ("dryRun" in started) return started;
    let action: BulkAction = started;
    // Progress is pushed (LISTEN/NOTIFY); the follow ends with the completed action.
    for await (action of service.followBulkAction(started.id)) {
      if (process.stderr.isTTY) process.stderr.write(`\r${action.succeeded + action.failed}/${action.total}`);
    }
    if (process.stderr.isTTY) process.stderr.write("\n");
    return action;
  });
  if ("dryRun" in result) {
    cli.print(result, () => `${action} would act on ${result.count} run${result.count === 1 ? "" : "s"} (dry run: nothing done)`);
    return;
  }
  cli.print(result, () => `${action} ${result.id}: ${result.total} runs, ${result.succeeded} succeeded, ${result.failed} failed`);
  if (result.failed > 0) process.exitCode = 1;
}
