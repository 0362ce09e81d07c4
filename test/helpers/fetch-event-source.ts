import type { EventSourceLike } from "../../react/client/sse-reader.ts";

/**
 * An EventSource over fetch, for Node: the hooks' follower reads a real engine through it. Every
 * event it hands on is logged, and `drop` cuts its connection as a network would.
 */
export class FetchEventSource implements EventSourceLike {
  static all: FetchEventSource[] = [];
  static log: { type: string; data: unknown; id: string }[] = [];
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  readonly #listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  readonly #abort = new AbortController();
  constructor(readonly url: string) {
    FetchEventSource.all.push(this);
    void this.#read(url).catch(() => this.#abort.signal.aborted || this.onerror?.(new Event("error")));
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.#abort.abort();
  }
  drop() {
    this.closed = true;
    this.#abort.abort();
    this.onerror?.(new Event("error"));
  }
  async #read(url: string) {
    const response = await fetch(url, { headers: { accept: "text/event-stream" }, signal: this.#abort.signal });
    if (!response.ok || !response.body) throw new Error(String(response.status));
    this.onopen?.(new Event("open"));
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const fields = new Map<string, string>();
        for (const line of buffer.slice(0, end).split("\n")) if (line && !line.startsWith(":")) fields.set(line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2));
        buffer = buffer.slice(end + 2);
        const event = { data: fields.get("data") ?? "", lastEventId: fields.get("id") ?? "" } as MessageEvent<string>;
        if (fields.has("data") && !this.#abort.signal.aborted) FetchEventSource.log.push({ type: fields.get("event") ?? "message", data: JSON.parse(event.data), id: event.lastEventId });
        if (fields.has("data")) for (const listener of this.#listeners.get(fields.get("event") ?? "message") ?? []) listener(event);
      }
    }
  }
}
