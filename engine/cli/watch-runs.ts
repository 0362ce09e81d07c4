import type { ListRunsFilter, RunList } from "../../sdk/types.ts";
import type { Cli } from "./context.ts";
import { formatTime } from "./format.ts";
import { LiveRegion } from "./live-region.ts";

/**
 * `durably runs list --watch`: the list, read again whenever the backend's live stream says a
 * run changed (a burst of changes is one read), until Ctrl-C. In a terminal the table is redrawn
 * in place; in a pipe or a file each new version of it is printed below the last, under the time
 * it was read; with --json each version is one JSON line.
 */
export async function watchRunListCommand(cli: Cli, filter: ListRunsFilter, format: (list: RunList) => string): Promise<void> {
  const abort = new AbortController();
  const interrupt = () => abort.abort();
  process.once("SIGINT", interrupt);
  const region = !cli.flags.json && process.stdout.isTTY ? new LiveRegion(process.stdout) : undefined;
  let dirty = true;
  let wake: (() => void) | undefined;
  const changed = () => {
    dirty = true;
    wake?.();
  };
  abort.signal.addEventListener("abort", changed);
  let last: string | undefined;
  try {
    await cli.withService(async (service) => {
      // Following starts before the first read.
      const following = (async () => {
        for await (const run of service.subscribeToAllRuns({ signal: abort.signal })) {
          void run;
          changed();
        }
      })();
      following.catch(() => abort.abort());
      while (!abort.signal.aborted) {
        if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
        if (abort.signal.aborted) break;
        dirty = false;
        const list = await service.listRuns(filter);
        const text = cli.flags.json ? JSON.stringify(list) : format(list);
        if (text === last) continue;
        last = text;
        if (region) region.update([], [`${formatTime(new Date())}  (Ctrl-C to stop)`, ...text.split("\n")]);
        else process.stdout.write(cli.flags.json ? text + "\n" : `${formatTime(new Date())}\n${text}\n\n`);
      }
      await following;
    });
  } finally {
    process.removeListener("SIGINT", interrupt);
  }
}
