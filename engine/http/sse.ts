import type { Context } from "hono";
import { ServerResponse } from "node:http";
import type { StreamLease } from "./stream-slots.ts";

export interface SseMessage {
  event?: string;
  id?: string;
  data: string;
}

/** The server's end of one Server-Sent-Events connection. */
export interface SseStream {
  /** Queues one event; dropped once the stream has ended. */
  send(message: SseMessage): void;
  /** Queues several events as one write: one queue entry (and one wait for room) for a page of them. */
  sendAll(messages: SseMessage[]): void;
  /** A comment line, which clients ignore: keeps idle proxies from closing the connection. */
  ping(): void;
  /** Resolves once the client has taken enough of the queued events (at once while few are queued). */
  ready(): Promise<void>;
  /** Whether `ready` would resolve at once: few events are queued. */
  hasRoom(): boolean;
  /** Resolves when the stream ends: the client went away, or `produce` returned. */
  readonly closed: Promise<void>;
}

/** Events queued before a producer that waits for `ready` pauses: a slow client holds back its stream's reads. */
const QUEUED_EVENTS = 16;

const encoder = new TextEncoder();

/**
 * An event-stream response whose events go straight into the body's queue. Hono's `streamSSE`
 * passes each event through a TransformStream and a second, pulled stream before the Node server
 * reads it: 0.025 ms more per status push on the 2-core machine (3 alternated pairs of the push
 * benchmark). `produce` runs until it resolves (the stream then ends) or the client disconnects.
 * A `lease` is given back when the stream ends, and ends the stream when its token expires.
 */
export function sseResponse(c: Context, produce: (stream: SseStream) => Promise<void>, lease?: StreamLease): Response {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let room: PromiseWithResolvers<void> | undefined;
  const roomMade = () => {
    room?.resolve();
    room = undefined;
  };
  const closed = Promise.withResolvers<void>();
  let expiry: NodeJS.Timeout | undefined;
  const end = () => {
    open = false;
    clearTimeout(expiry);
    lease?.release();
    roomMade();
    closed.resolve();
  };
  const socket = nodeSocketOf(c);
  const enqueue = (text: string) => {
    if (!open) return;
    controller.enqueue(encoder.encode(text));
    // The Node server writes the event from a promise reaction queued by the enqueue, and Node's
    // http corks the socket for that write until process.nextTick, which runs only once every
    // promise reaction queued meanwhile has run (the writer's own continuation: an io call's
    // caller resumes before its push left). Uncorked right after that write, the event goes out at once.
    if (socket) queueMicrotask(() => socket.uncork());
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      pull: roomMade,
      cancel: end,
    },
    { highWaterMark: QUEUED_EVENTS },
  );
  const stream: SseStream = {
    send: (message) => enqueue(formatEvent(message)),
    sendAll: (messages) => enqueue(messages.map(formatEvent).join("")),
    ping: () => enqueue(": ping\n\n"),
    hasRoom: () => !open || (controller.desiredSize ?? 0) > 0,
    ready: () => {
      if (stream.hasRoom()) return Promise.resolve();
      room ??= Promise.withResolvers<void>();
      return room.promise;
    },
    closed: closed.promise,
  };
  // A producer that fails ends its stream like one that returns (it reports its own errors).
  const finish = () => {
    if (!open) return;
    controller.close();
    end();
  };
  if (lease?.expiresAt !== undefined) expiry = setTimeout(finish, Math.max(0, lease.expiresAt - Date.now()));
  produce(stream).then(finish, finish);
  return c.body(body, 200, {
    "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive", "Transfer-Encoding": "chunked",
  });
}

/** The socket of a Node HTTP/1 response (`@hono/node-server` passes it as `env.outgoing`), or undefined elsewhere. */
function nodeSocketOf(c: Context): ServerResponse["socket"] | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof ServerResponse ? outgoing.socket ?? undefined : undefined;
}

/** One event in the wire format; a data value with line breaks becomes several data lines. */
function formatEvent({ event, id, data }: SseMessage): string {
  let text = event === undefined ? "" : `event: ${event}\n`;
  text += data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join("");
  if (id !== undefined) text += `id: ${id}\n`;
  return text + "\n";
}
