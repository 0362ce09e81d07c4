import type { Context, Hono } from "hono";
import type { Run } from "../../sdk/types.ts";
import type { Access } from "../auth/access.ts";
import type { EngineParts } from "../parts.ts";
import type { StreamCursor } from "../streams/stream-reads.ts";
import { parse, streamPageQuery } from "./bodies.ts";
import type { StreamGrant } from "./run-stream.ts";
import { sseResponse } from "./sse.ts";

type Env = { Variables: { access: Access } };

const KEEPALIVE_MS = 15_000;

/**
 * Where a stream's reader resumes. Event ids are `<resets>.<index>` (docs/streams.md): resuming
 * with fewer resets than the stream has gets a reset first. `?after=N` starts after chunk N.
 */
export function parseStreamCursor(header: string | undefined, query: { lastEventId?: string; after?: string }): StreamCursor {
  const match = /^(\d{1,9})\.(\d{1,15})$/.exec(header ?? query.lastEventId ?? "");
  if (match) return { resets: Number(match[1]), after: Number(match[2]) };
  if (query.after !== undefined && /^\d{1,15}$/.test(query.after)) return { resets: undefined, after: Number(query.after) };
  return { resets: undefined, after: 0 };
}

/**
 * A run's streams over HTTP: listed, read a page at a time, and followed over SSE. Whoever may
 * read the run (`readableRun`) may read its streams.
 */
export function streamRoutes(
  app: Hono<Env>, parts: EngineParts, readableRun: (c: Context<Env>, id: string) => Promise<Run>, grant: (c: Context<Env>) => StreamGrant,
): void {
  const reads = parts.service.streams;
  app.get("/api/runs/:id/streams", async (c) => {
    const run = await readableRun(c, c.req.param("id"));
    return c.json({ data: await reads.list(run.id) });
  });
  app.get("/api/runs/:id/streams/:key", async (c) => {
    const run = await readableRun(c, c.req.param("id"));
    return c.json(await reads.snapshot(run.id, c.req.param("key"), parse(streamPageQuery, c.req.query(), "query")));
  });
  app.get("/api/runs/:id/streams/:key/stream", async (c) => {
    const run = await readableRun(c, c.req.param("id"));
    const key = c.req.param("key");
    const cursor = parseStreamCursor(c.req.header("last-event-id"), c.req.query());
    // Checked before the response starts: a bad key is a 400, not a stream that ends at once.
    await reads.snapshot(run.id, key, { after: Number.MAX_SAFE_INTEGER, limit: 1 });
    const { lease } = grant(c);
    return sseResponse(c, async (stream) => {
      const abort = new AbortController();
      void stream.closed.then(() => abort.abort());
      const ping = setInterval(stream.ping, KEEPALIVE_MS);
      try {
        for await (const event of reads.follow(run.id, key, cursor, abort.signal)) {
          await stream.ready();
          if (event.type === "chunks") {
            const { resets } = event;
            stream.sendAll(event.chunks.map(({ index, text }) => ({ event: "chunk", id: `${resets}.${index}`, data: `{"index":${index},"data":${text}}` })));
          } else if (event.type === "reset") {
            const { fromIndex, resets } = event;
            stream.send({ event: "reset", id: `${resets}.${fromIndex - 1}`, data: JSON.stringify({ fromIndex, resets }) });
          } else {
            const { runId, status, lastIndex } = event;
            stream.send({ event: "end", data: JSON.stringify({ runId, key: event.key, status, lastIndex }) });
          }
        }
      } catch (error) {
        parts.logger.warn("stream follower failed", { runId: run.id, key, error: (error as Error).message });
      } finally {
        clearInterval(ping);
      }
    }, lease);
  });
}
