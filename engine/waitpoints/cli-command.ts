import type { Backend } from "../../sdk/backend.ts";
import { WAITPOINT_STATUSES, type WaitpointRecord, type WaitpointStatus } from "../../sdk/waitpoints.ts";
import { formatTime, formatValue } from "../cli/format.ts";
import { formatFields, formatTable, type Column } from "../cli/table.ts";

/** What `durably waitpoints …` needs of the CLI around it (engine/cli/main.ts). */
export interface CliContext {
  flags: { status?: string | undefined; tag?: string[] | undefined; run?: string | undefined; limit?: number | undefined; cursor?: string | undefined; output?: string | undefined };
  print(value: unknown, text: () => string): void;
  withBackend<T>(fn: (backend: Backend) => Promise<T>): Promise<T>;
  usage(message: string): Error;
  parseJson(text: string | undefined, what: string): unknown;
}

const COLUMNS: Column<WaitpointRecord>[] = [
  { header: "ID", cell: (w) => w.id, max: 48 },
  { header: "STATUS", cell: (w) => w.status },
  { header: "CREATED", cell: (w) => formatTime(w.createdAt) },
  { header: "TIMES OUT", cell: (w) => (w.timeoutAt ? formatTime(w.timeoutAt) : "") },
  { header: "TAGS", cell: (w) => w.tags.join(", "), max: 30 },
];

function formatWaitpoint(w: WaitpointRecord): string {
  return formatFields([
    ["Waitpoint", w.id],
    ["Status", w.status],
    ["Created", formatTime(w.createdAt)],
    ["Times out", w.timeoutAt && formatTime(w.timeoutAt)],
    ["Completed", w.completedAt && formatTime(w.completedAt)],
    ["Tags", w.tags.join(", ")],
    ["Idempotency key", w.idempotencyKey],
    ["Runs", w.runs.join(", ")],
    ["Output", w.status === "COMPLETED" ? formatValue(w.output) : undefined],
  ]);
}

/** `durably waitpoints list|get|complete`. */
export async function waitpointsCommand(cli: CliContext, sub: string | undefined, id: string | undefined): Promise<void> {
  const { flags } = cli;
  if (sub === "list") {
    const status = flags.status?.split(",").map((s) => s.trim().toUpperCase()) as WaitpointStatus[] | undefined;
    for (const s of status ?? []) if (!WAITPOINT_STATUSES.includes(s)) throw cli.usage(`Unknown status "${s}"; one of ${WAITPOINT_STATUSES.join(", ")}`);
    const list = await cli.withBackend((b) => b.listWaitTokens({
      ...(status ? { status } : {}), ...(flags.tag ? { tags: flags.tag } : {}), ...(flags.run ? { runId: flags.run } : {}),
      ...(flags.limit ? { limit: flags.limit } : {}), ...(flags.cursor ? { cursor: flags.cursor } : {}),
    }));
    cli.print(list, () => (list.data.length ? formatTable(list.data, COLUMNS) : "No waitpoints") + (list.nextCursor ? `\nmore: --cursor ${list.nextCursor}` : ""));
    return;
  }
  if (sub !== "get" && sub !== "complete") {
    throw cli.usage(`${sub ? `Unknown waitpoints command "${sub}"` : "durably waitpoints needs a command"}; use list, get or complete`);
  }
  if (!id) throw cli.usage(`durably waitpoints ${sub} needs a waitpoint id`);
  if (sub === "get") {
    const waitpoint = await cli.withBackend((b) => b.retrieveWaitToken(id));
    cli.print(waitpoint, () => formatWaitpoint(waitpoint));
    return;
  }
  if (flags.output === undefined) throw cli.usage("durably waitpoints complete needs --output '<json>'");
  const output = cli.parseJson(flags.output, "--output");
  await cli.withBackend((b) => b.completeWaitToken(id, output));
  cli.print({ id, success: true }, () => `completed: ${id}`);
}
