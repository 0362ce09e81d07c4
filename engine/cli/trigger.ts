import type { Cli } from "./context.ts";
import { parseJson, UsageError } from "./flags.ts";

/** `--debounce-key k --debounce-delay 5s [--debounce-mode trailing]`, checked by the engine like the SDK's option. */
function debounceOf(flags: Cli["flags"]): { debounce?: { key: string; delay: string; mode?: "leading" | "trailing" } } {
  const key = flags["debounce-key"];
  const delay = flags["debounce-delay"];
  const mode = flags["debounce-mode"];
  if (key === undefined && delay === undefined && mode === undefined) return {};
  if (key === undefined || delay === undefined) throw new UsageError("--debounce-key and --debounce-delay go together");
  if (mode !== undefined && mode !== "leading" && mode !== "trailing") throw new UsageError("--debounce-mode must be leading or trailing");
  return { debounce: { key, delay, ...(mode ? { mode } : {}) } };
}

/** `durably trigger <task-id>`. */
export async function triggerCommand(cli: Cli, taskId: string | undefined): Promise<void> {
  const { flags } = cli;
  if (!taskId) throw new UsageError("durably trigger needs a task id");
  const payload = parseJson(flags.payload, "--payload");
  const key = flags["idempotency-key"];
  const maxDuration = flags["max-duration"] === undefined ? undefined : Number(flags["max-duration"]);
  if (maxDuration !== undefined && !(maxDuration > 0)) throw new UsageError("--max-duration must be a positive number of seconds");
  const priority = flags.priority === undefined ? undefined : Number(flags.priority);
  if (priority !== undefined && !(Number.isInteger(priority) && priority >= 0)) throw new UsageError("--priority must be a whole number of seconds, 0 or more");
  const result = await cli.withService((s) =>
    s.trigger({ taskId, payload, options: {
      ...(flags.tag ? { tags: flags.tag } : {}), ...(key ? { idempotencyKey: key } : {}), ...(maxDuration ? { maxDuration } : {}),
      ...(priority !== undefined ? { priority } : {}), ...debounceOf(flags),
    } }),
  );
  cli.print(result, () => result.id);
}
