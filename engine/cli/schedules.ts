import type { Json, ScheduleRecord } from "../../sdk/types.ts";
import type { Cli } from "./context.ts";
import { parseJson, unknownCommand, UsageError } from "./flags.ts";
import { formatTable, type Column } from "./table.ts";

const COLUMNS: Column<ScheduleRecord>[] = [
  { header: "ID", cell: (s) => s.id, max: 48 },
  { header: "TASK", cell: (s) => s.task },
  { header: "CRON", cell: (s) => s.cron },
  { header: "TIMEZONE", cell: (s) => s.timezone },
  { header: "DEDUPLICATION KEY", cell: (s) => s.deduplicationKey },
  { header: "DECLARED", cell: (s) => (s.declarative ? "on the task" : "") },
];

/** `durably schedules list|create|delete`. */
export async function schedulesCommand(cli: Cli, sub: string | undefined, arg: string | undefined): Promise<void> {
  const { flags } = cli;
  switch (sub) {
    case "list": {
      const list = await cli.withService((s) => s.listSchedules(flags.task ? { task: flags.task } : {}));
      cli.print(list, () => (list.length ? formatTable(list, COLUMNS) : "No schedules"));
      return;
    }
    case "create": {
      if (!arg || !flags.cron) throw new UsageError('durably schedules create needs a task id and --cron "<expr>"');
      const timezone = flags.timezone ?? "UTC";
      const payload = flags.payload === undefined ? undefined : (parseJson(flags.payload, "--payload") as Json);
      const created = await cli.withService((s) => s.createSchedule({
        task: arg, cron: flags.cron!, timezone, deduplicationKey: flags["deduplication-key"] ?? `${arg}:${flags.cron}:${timezone}`,
        ...(payload === undefined ? {} : { payload }),
      }));
      cli.print(created, () => formatTable([created], COLUMNS));
      return;
    }
    case "delete": {
      if (!arg) throw new UsageError("durably schedules delete needs a schedule id");
      const result = await cli.withService((s) => s.deleteSchedule(arg));
      cli.print(result, () => `deleted: ${result.id}`);
      return;
    }
    default:
      throw unknownCommand("schedules", sub, "list, create or delete");
  }
}
