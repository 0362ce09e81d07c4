import type { RunUpdate } from "../../sdk/backend.ts";
import type { JournalEntry, Metadata, PushedStatus, Run, RunStatus } from "../../sdk/types.ts";
import type { Cli } from "./context.ts";
import { durationOf, formatDuration, formatValue, progressBar, progressOf } from "./format.ts";
import { LiveRegion } from "./live-region.ts";
import { truncate } from "./table.ts";

/** `runs watch`'s exit code: a script waiting on a run learns how it ended. */
export const WATCH_EXIT_CODES: Record<RunStatus, number> = { SUCCESS: 0, FAILURE: 1, CANCELED: 2, QUEUED: 3, EXECUTING: 3, WAITING: 3 };

const clock = (date: Date) => date.toISOString().slice(11, 23);
const pad = (text: string, width: number) => truncate(text, width).padEnd(width);

/** What an entry did, in a few words: a status's label, state and progress; a metadata change; a task's output or error. */
function entryResult(entry: JournalEntry, status: PushedStatus | undefined, metadata: Metadata | undefined): string {
  if (entry.status === "failed") return `failed: ${entry.error ? `${entry.error.name}: ${entry.error.message}` : "?"}`;
  if (status) return statusText(status);
  if (entry.kind === "metadata" && metadata) {
    const key = entry.key.slice(entry.key.indexOf(":") + 1);
    const progress = key === "progress" ? progressOf(metadata) : undefined;
    return progress === undefined ? `${key} = ${formatValue(metadata[key])}` : `progress ${progressBar(progress)}`;
  }
  return entry.output === undefined ? "" : `→ ${formatValue(entry.output)}`;
}

function statusText(status: PushedStatus): string {
  const progress = progressOf(status.data);
  return [status.label, status.state ?? "", progress === undefined ? "" : progressBar(progress)].filter(Boolean).join("  ");
}

/** One line of the timeline, in fixed columns so lines printed over time line up. */
export function timelineLine(update: Extract<RunUpdate, { type: "journal" }>): string {
  const { entry } = update;
  const took = formatDuration(entry.finishedAt.getTime() - entry.startedAt.getTime());
  return [clock(entry.finishedAt), `#${entry.seq}`.padStart(4), pad(entry.kind, 12), pad(entry.key, 28), took.padStart(8), entryResult(entry, update.status, update.metadata)]
    .join("  ")
    .trimEnd();
}

/** The run's result once it has finished. */
function resultLines(run: Run): string[] {
  const took = durationOf(run.startedAt, run.finishedAt);
  if (run.status === "SUCCESS") return [`SUCCESS in ${took}`, `output: ${truncate(formatValue(run.output), 2_000)}`];
  if (run.status === "FAILURE") return [`FAILURE after ${took}${run.error ? `: ${run.error.name}: ${run.error.message}` : ""}`];
  return [`${run.status}${run.startedAt ? ` after ${took}` : ""}`];
}

/**
 * `durably runs watch <id>`: the run's timeline as its io calls are written, its statuses with
 * progress bars and its state, pushed by the backend's live stream of the run (no polling); ends
 * with the run's result, and its exit code says how the run ended (0 SUCCESS, 1 FAILURE, 2 CANCELED).
 * In a terminal the statuses stay at the bottom, redrawn in place; in a pipe or a file every
 * change is a line; with --json each update is one JSON line.
 */
export async function watchRunCommand(cli: Cli, id: string): Promise<void> {
  const abort = new AbortController();
  const interrupt = () => abort.abort();
  process.once("SIGINT", interrupt);
  const tty = !cli.flags.json && process.stdout.isTTY;
  const region = tty ? new LiveRegion(process.stdout) : undefined;
  const statuses = new Map<string, PushedStatus>();
  let run: Run | undefined;
  let metadata: Metadata = {};
  let tick: NodeJS.Timeout | undefined;

  const summary = (): string[] => {
    if (!run) return [];
    const lines = [`${run.id}  ${run.status}  ${run.taskIdentifier}@${run.taskVersion}  ${durationOf(run.startedAt, run.finishedAt)}`];
    for (const status of statuses.values()) lines.push(`  ${pad(status.key, 20)}  ${statusText(status)}`);
    const progress = progressOf(metadata);
    if (progress !== undefined) lines.push(`  ${pad("metadata.progress", 20)}  ${progressBar(progress)}`);
    return lines;
  };
  const show = (lines: string[]) => {
    if (region) region.update(lines, summary());
    else if (lines.length) process.stdout.write(lines.map((line) => line + "\n").join(""));
  };

  try {
    await cli.withService(async (service) => {
      for await (const update of service.subscribeToRunUpdates(id, { signal: abort.signal })) {
        if (cli.flags.json) {
          process.stdout.write(JSON.stringify(update) + "\n");
          if (update.type === "run") run = update.run;
          continue;
        }
        if (update.type === "journal") {
          if (update.status) statuses.set(update.status.key, update.status);
          if (update.metadata) metadata = update.metadata;
          show([timelineLine(update)]);
          continue;
        }
        const changed = run?.status !== update.run.status;
        run = update.run;
        metadata = run.metadata;
        show(changed && !run.isCompleted ? [`${clock(run.updatedAt)}  run is ${run.status}`] : []);
        // The elapsed time in the summary goes on while the run does.
        if (region && !tick) tick = setInterval(() => region.update([], summary()), 1_000);
      }
    });
  } finally {
    clearInterval(tick);
    process.removeListener("SIGINT", interrupt);
  }
  if (abort.signal.aborted) {
    process.exitCode = 130;
    return;
  }
  if (!run) return;
  if (region) region.update([...summary(), ...resultLines(run)], []);
  else if (!cli.flags.json) show(resultLines(run));
  process.exitCode = WATCH_EXIT_CODES[run.status];
}
