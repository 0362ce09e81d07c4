import { RUN_STATUSES, type Run, type RunStatus } from "../../sdk/types.ts";
import type { Cli } from "./context.ts";
import { intFlag, unknownCommand, UsageError } from "./flags.ts";

const RUN_COMMANDS = ["get", "retry", "replay", "cancel", "fork"];

function runLine(run: Run): string {
  const took = run.finishedAt && run.startedAt ? `${run.finishedAt.getTime() - run.startedAt.getTime()} ms` : "";
  return [run.id, run.status.padEnd(9), run.taskIdentifier, run.createdAt.toISOString(), took].join("  ");
}

/** `durably runs list|get|retry|replay|cancel|fork`. */
export async function runsCommand(cli: Cli, sub: string | undefined, id: string | undefined): Promise<void> {
  const { flags } = cli;
  if (sub === "list") {
    const status = flags.status?.split(",").map((s) => s.trim().toUpperCase()) as RunStatus[] | undefined;
    for (const s of status ?? []) if (!RUN_STATUSES.includes(s)) throw new UsageError(`Unknown status "${s}"; one of ${RUN_STATUSES.join(", ")}`);
    const limit = intFlag(flags.limit, "limit", 1, 100);
    const list = await cli.withService((s) =>
      s.listRuns({ ...(status ? { status } : {}), ...(flags.task ? { taskIdentifier: flags.task } : {}), ...(flags.tag?.[0] ? { tag: flags.tag[0] } : {}), ...(limit ? { limit } : {}), ...(flags.cursor ? { cursor: flags.cursor } : {}) }),
    );
    cli.print(list, () => (list.data.length ? list.data.map(runLine).join("\n") : "No runs") + (list.nextCursor ? `\nmore: --cursor ${list.nextCursor}` : ""));
    return;
  }
  // Checked before the run id, which an unknown command would otherwise be told it lacks.
  if (!sub || !RUN_COMMANDS.includes(sub)) throw unknownCommand("runs", sub, "list, get, retry, replay, cancel or fork");
  if (!id) throw new UsageError(`durably runs ${sub} needs a run id`);
  switch (sub) {
    case "get": {
      const run = await cli.withService((s) => s.retrieveRun(id));
      cli.print(run, () => JSON.stringify(run, null, 2));
      return;
    }
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
