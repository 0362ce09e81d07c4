import type { Context } from "hono";
import type { Run } from "../../sdk/types.ts";
import type { Logger } from "../logger.ts";
import { withoutServerDetails } from "./public-view.ts";
import type { StreamGrant } from "./run-stream.ts";
import { sseResponse } from "./sse.ts";

const KEEPALIVE_MS = 15_000;

/**
 * The runs of a subscription (a tag's, a batch's) as `event: run` messages, then `event: end` if
 * it ends. No event ids: a client that reconnects gets the runs' current snapshots again and keeps
 * those newer than the revision it holds of each run (`run.revision`), so it misses no change and
 * repeats none.
 */
export function streamRunList(c: Context, runs: AsyncIterableIterator<Run>, grant: StreamGrant, logger: Logger): Response {
  const json = (run: Run) => JSON.stringify(grant.publicView ? withoutServerDetails(run) : run);
  return sseResponse(c, async (stream) => {
    const ping = setInterval(stream.ping, KEEPALIVE_MS);
    void stream.closed.then(() => runs.return?.());
    try {
      for await (const run of runs) {
        await stream.ready();
        stream.send({ event: "run", data: json(run) });
      }
      stream.send({ event: "end", data: "{}" });
    } catch (error) {
      // Said to the client, which cannot get past it by reconnecting (a batch or run that does not exist).
      const { code = "INTERNAL", message } = error as { code?: string; message: string };
      if (code === "INTERNAL") logger.warn("run list stream failed", { error: message });
      stream.send({ event: "failure", data: JSON.stringify({ error: { code, message: code === "INTERNAL" ? "The stream failed" : message } }) });
    } finally {
      clearInterval(ping);
    }
  }, grant.lease);
}
