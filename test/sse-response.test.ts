import { serve, type HttpBindings } from "@hono/node-server";
import { Hono } from "hono";
import { get } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { sseResponse, type SseStream } from "../engine/http/sse.ts";

/** A response from `sseResponse` whose producer the test drives by hand. */
async function open(): Promise<{ stream: SseStream; reader: ReadableStreamDefaultReader<Uint8Array>; finish: () => void; response: Response }> {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let opened: (stream: SseStream) => void = () => undefined;
  const produced = new Promise<SseStream>((resolve) => (opened = resolve));
  const app = new Hono();
  app.get("/", (c) => sseResponse(c, async (stream) => {
    opened(stream);
    await done;
  }));
  const response = await app.request("/");
  return { stream: await produced, reader: response.body!.getReader(), finish, response };
}

const settled = async (promise: Promise<unknown>) => {
  let yes = false;
  void promise.then(() => (yes = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  return yes;
};

describe("sseResponse", () => {
  it("writes events in the event-stream format, one data line per line of data, and ends when the producer returns", async () => {
    const { stream, reader, finish, response } = await open();
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    stream.send({ event: "run", id: "7", data: "a\nb" });
    stream.ping();
    finish();
    let text = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    expect(text).toBe("event: run\ndata: a\ndata: b\nid: 7\n\n: ping\n\n");
    expect(await settled(stream.closed)).toBe(true);
  });

  it("holds a producer that waits for `ready` while a slow client leaves events queued, and lets it go as the client reads", async () => {
    const { stream, reader, finish } = await open();
    for (let i = 0; i < 40; i++) stream.send({ data: String(i) });
    const ready = stream.ready();
    expect(await settled(ready)).toBe(false);
    for (let i = 0; i < 40; i++) await reader.read();
    expect(await settled(ready)).toBe(true);
    finish();
  });

  it("ends the stream when the client goes away: `closed` resolves, a waiting producer is let go and later events are dropped", async () => {
    const { stream, reader, finish } = await open();
    for (let i = 0; i < 40; i++) stream.send({ data: String(i) });
    const ready = stream.ready();
    await reader.cancel();
    expect(await settled(stream.closed)).toBe(true);
    expect(await settled(ready)).toBe(true);
    expect(() => stream.send({ data: "late" })).not.toThrow();
    finish();
  });

  it("ends the stream when its producer fails, without an unhandled rejection", async () => {
    const app = new Hono();
    app.get("/", (c) => sseResponse(c, async (stream) => {
      stream.send({ event: "run", data: "{}" });
      throw new Error("the producer broke");
    }));
    const response = await app.request("/");
    expect(await response.text()).toBe("event: run\ndata: {}\n\n");
  });

  it("puts an event on the socket before the code that sent it resumes: Node's http holds a chunk corked until process.nextTick", async () => {
    let socket: Socket | undefined;
    let opened: (stream: SseStream) => void = () => undefined;
    const produced = new Promise<SseStream>((resolve) => (opened = resolve));
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.get("/", (c) => {
      socket = c.env.outgoing.socket as Socket;
      return sseResponse(c, async (stream) => {
        opened(stream);
        await done;
      });
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    });
    try {
      const { port } = server.address() as AddressInfo;
      let received = "";
      let heard: () => void = () => undefined;
      const response = await new Promise<import("node:http").IncomingMessage>((resolve) => get(`http://127.0.0.1:${port}/`, resolve));
      response.on("data", (chunk: Buffer) => {
        received += chunk.toString();
        heard();
      });
      const stream = await produced;
      const first = new Promise<void>((resolve) => (heard = resolve));
      stream.send({ data: "a" });
      await first;
      stream.send({ data: "b" });
      // Promise reactions only: without the uncork, the chunk still waits in the corked socket here.
      for (let i = 0; i < 10; i++) await null;
      expect(socket!.writableCorked).toBe(0);
      expect(socket!.writableLength).toBe(0);
      const second = new Promise<void>((resolve) => (heard = resolve));
      await second;
      expect(received).toBe("data: a\n\ndata: b\n\n");
    } finally {
      finish();
      (server as import("node:http").Server).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
