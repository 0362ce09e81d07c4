import { RUN_STATUSES, type ListRunsFilter, type RunList, type RunStatus } from "../../sdk/types.ts";
import { bulkCommand } from "./bulk.ts";
import type { Cli } from "./context.ts";
import { intFlag, unknownCommand, UsageError } from "./flags.ts";
import { formatRun, RUN_COLUMNS } from "./run-view.ts";
import { formatTable } from "./table.ts";
import { watchRunCommand } from "./watch-run.ts";
import { watchRunListCommand } from "./watch-runs.ts";

const RUN_COMMANDS = ["get", "watch", "retry", "replay", "cancel", "fork"];

const formatList = (list: RunList) =>
  (list.data.length ? formatTable(list.data, RUN_COLUMNS) : "No runs") + (list.nextCursor ? `\nmore: --cursor ${list.nextCursor}` : "");

/** `durably runs list|get|watch|retry|replay|cancel|fork`. */
export async function runsCommand(cli: Cli, sub: string | undefined, id: string | undefined): Promise<void> {
  const { flags } = cli;
  if (sub === "list") {
    const status = flags.status?.split(",").map((s) => s.trim().toUpperCase()) as RunStatus[] | undefined;
    for (const s of status ?? []) if (!RUN_STATUSES.includes(s)) throw new UsageError(`Unknown status "${s}"; one of ${RUN_STATUSES.join(", ")}`);
    const limit = intFlag(flags.limit, "limit", 1, 100);
    const filter: ListRunsFilter = {
      ...(status ? { status } : {}), ...(flags.task ? { taskIdentifier: flags.task } : {}), ...(flags.tag?.[0] ? { tag: flags.tag[0] } : {}),
      ...(limit ? { limit } : {}), ...(flags.cursor ? { cursor: flags.cursor } : {}),
    };
    if (flags.watch) return watchRunListCommand(cli, filter, formatList);
    const list = await cli.withService((s) => s.listRuns(filter));
    cli.print(list, () => formatList(list));
    return;
  }
  if (sub === "bulk") return bulkCommand(cli, id);
  // Checked before the run id, which an unknown command would otherwise be told it lacks.
  if (!sub || !RUN_COMMANDS.includes(sub)) throw unknownCommand("runs", sub, "list, get, watch, retry, replay, cancel or fork");
  if (!id) throw new UsageError(`durably runs ${sub} needs a run id`);
  switch (sub) {
    case "get": {
      const run = await cli.withService((s) => s.retrieveRun(id));
      cli.print(run, () => formatRun(run));
      return;
    }
    case "watch":
      return watchRunCommand(cli, id);
    case "retry":
    case "replay": {
      const result = await cli.withService((s) => (sub === "retry" ? s.retryRun(id) : s.replayRun(id)));
      cli.print(result, () => `${sub}: ${result.id}`);
      return;
    }
    case "cancel": {
      // A finished run stays as it is: say so, rather than report a cancel that did nothing.
      const run = await cli.withService(async (s) => {
        await s.cancelRun(id);
        return s.retrieveRun(id);
      });
      cli.print({ id, status: run.status }, () => (run.status === "CANCELED" ? `cancel: ${id}` : `${id} had already finished (${run.status}): nothing to cancel`));
      return;
    }
    case "fork": {
      const fromSeq = intFlag(flags["from-seq"], "from-seq", 1);
      if (fromSeq === undefined) throw new UsageError("durably runs fork needs --from-seq N");
      const result = await cli.withService((s) => s.forkRun(id, { fromSeq }));
      cli.print(result, () => `fork: ${result.id}`);
      return;
    }
  }
}
