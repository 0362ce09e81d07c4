import { z } from "zod";
import { RUN_LOG_LEVELS, type RunLogLevel, type RunLogLine, type RunLogPage } from "../../wire/index.ts";
import type { EngineParts } from "../parts.ts";
import { parse } from "./bodies.ts";

const cursor = z.string().regex(/^\d{1,18}$/, "must be a cursor this route returned");

/** `GET /api/runs/:id/logs?level=warn,error&search=text&cursor=…&limit=…` */
const logQuery = z.object({
  level: z
    .string()
    .transform((text) => text.split(",").filter(Boolean))
    .pipe(z.array(z.enum(RUN_LOG_LEVELS, { message: `levels are ${RUN_LOG_LEVELS.join(", ")}` })))
    .optional(),
  search: z.string().max(200).optional(),
  cursor: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export type LogFilter = z.output<typeof logQuery>;

export function parseLogQuery(query: Record<string, string>): LogFilter {
  return parse(logQuery, query, "query");
}

/** The `?logs=` of a run's stream: send its log lines after this cursor ("0": all). */
export function parseLogsAfter(value: string | undefined): string | undefined {
  return value === undefined ? undefined : parse(cursor, value, "logs");
}

interface LogRow {
  id: string;
  seq: number;
  attempt: number;
  level: RunLogLevel;
  message: string;
  fields: RunLogLine["fields"];
  at: Date;
}

/** A run's lines after the filter's cursor, in the order they were written. */
export async function readRunLogs(parts: EngineParts, runId: string, filter: LogFilter): Promise<RunLogPage> {
  const levels = filter.level?.length ? filter.level : null;
  const pattern = filter.search ? `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const { rows } = await parts.db.query<LogRow>(parts.sql.logs.page, [runId, filter.cursor ?? "0", filter.limit, levels, pattern]);
  const data: RunLogLine[] = rows.map((row) => ({ ...row }));
  return { data, nextCursor: rows.length === filter.limit ? rows.at(-1)!.id : null };
}
