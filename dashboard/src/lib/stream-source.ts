import type { EventSourceFactory, EventSourceLike } from "durably/react";

/**
 * EventSource cannot send an Authorization header, and the engine never takes the secret key in
 * a URL (URLs end up in logs). So each stream connection first trades the key, in a header, for a
 * short-lived stream token good for that one stream path, and opens the EventSource with that.
 * The engine closes the stream when the token expires; the hooks then reconnect through here and
 * get a fresh one.
 */
export function streamSourceWithKey(secretKey: string): EventSourceFactory {
  return (url) => new TokenedEventSource(url, secretKey);
}

type Listener = (event: MessageEvent<string>) => void;

class TokenedEventSource implements EventSourceLike {
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  #listeners: [string, Listener][] = [];
  #source: EventSource | null = null;
  #closed = false;

  constructor(url: string, secretKey: string) {
    const target = new URL(url, window.location.href);
    // The hooks put their access token in the URL for EventSource; this one stays in the header.
    target.searchParams.delete("token");
    streamToken(target.pathname, secretKey).then(
      (token) => {
        if (this.#closed) return;
        target.searchParams.set("token", token);
        const source = new EventSource(target.toString());
        source.onopen = (event) => this.onopen?.(event);
        source.onerror = (event) => this.onerror?.(event);
        for (const [type, listener] of this.#listeners) source.addEventListener(type, listener as EventListener);
        this.#source = source;
      },
      () => {
        if (!this.#closed) this.onerror?.(new Event("error"));
      },
    );
  }

  addEventListener(type: string, listener: Listener): void {
    this.#listeners.push([type, listener]);
    this.#source?.addEventListener(type, listener as EventListener);
  }

  close(): void {
    this.#closed = true;
    this.#source?.close();
  }
}

async function streamToken(path: string, secretKey: string): Promise<string> {
  const response = await fetch("/api/tokens/stream", {
    method: "POST",
    headers: { authorization: `Bearer ${secretKey}`, "content-type": "application/json" },
    body: JSON.stringify({ path }),
  });
  if (!response.ok) throw new Error(`Stream token refused (${response.status})`);
  return ((await response.json()) as { token: string }).token;
}
