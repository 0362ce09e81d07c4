/** A minimal Server-Sent-Events client: calls `onMessage` as each event arrives, until aborted. */
export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

export async function openSse(url: string, headers: Record<string, string>, onMessage: (message: SseMessage) => void): Promise<{ close(): void; done: Promise<void> }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: controller.signal });
  if (!response.ok || !response.body) throw new Error(`SSE ${url} answered ${response.status}`);
  const body = response.body;
  const done = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = { event: "message", id: undefined, data: "" };
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") message.event = value;
            else if (field === "id") message.id = value;
            else if (field === "data") message.data += (message.data ? "\n" : "") + value;
          }
          onMessage(message);
        }
      }
    } catch (error) {
      if ((error as Error).name !== "AbortError") throw error;
    }
  })();
  return { close: () => controller.abort(), done };
}
