import type { Run } from "../../sdk/types.ts";
import { durationOf, formatTime, formatValue, progressBar, progressOf } from "./format.ts";
import { formatFields, type Column } from "./table.ts";

/** The columns of `durably runs list`. */
export const RUN_COLUMNS: Column<Run>[] = [
  { header: "ID", cell: (r) => r.id, max: 48 },
  { header: "STATUS", cell: (r) => r.status },
  { header: "TASK", cell: (r) => `${r.taskIdentifier}@${r.taskVersion}` },
  { header: "CREATED", cell: (r) => formatTime(r.createdAt) },
  { header: "DURATION", cell: (r) => durationOf(r.startedAt, r.finishedAt), align: "right" },
  { header: "TAGS", cell: (r) => r.tags.join(", "), max: 30 },
];

/** A run's metadata, one field a key; a `progress` from 0 to 1 as a bar. */
function metadataFields(run: Run): [string, string][] {
  const progress = progressOf(run.metadata);
  return Object.entries(run.metadata).map(([key, value]) => [
    `  ${key}`,
    key === "progress" && progress !== undefined ? progressBar(progress) : formatValue(value),
  ]);
}

/** `durably runs get`: one field a line, long values cut to the terminal (`--json` has them whole). */
export function formatRun(run: Run): string {
  const metadata = metadataFields(run);
  return formatFields([
    ["Run", run.id],
    ["Status", run.status],
    ["Task", `${run.taskIdentifier}@${run.taskVersion}`],
    ["Created", formatTime(run.createdAt)],
    ["Started", run.startedAt && formatTime(run.startedAt)],
    ["Finished", run.finishedAt && formatTime(run.finishedAt)],
    ["Duration", run.startedAt && durationOf(run.startedAt, run.finishedAt)],
    ["Attempts", String(run.attempts)],
    ["Tags", run.tags.join(", ")],
    ["Parent run", run.parentRunId],
    ["Forked from", run.forkedFrom],
    ["Event", run.eventId],
    ["Idempotency key", run.idempotencyKey],
    ["Scheduled for", run.scheduledFor && formatTime(run.scheduledFor)],
    ["Waiting on", run.wait && `${run.wait.waitpointId}${run.wait.timeoutAt ? ` (times out ${formatTime(run.wait.timeoutAt)})` : ""}`],
    ["Payload", formatValue(run.payload)],
    ["Metadata", metadata.length ? " " : "{}"],
    ...metadata,
    ["Output", run.status === "SUCCESS" ? formatValue(run.output) : undefined],
    ["Error", run.error && `${run.error.name}: ${run.error.message}`],
  ]);
}
