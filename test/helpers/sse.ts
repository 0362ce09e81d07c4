export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

/**
 * Reads Server-Sent Events from a URL until `stop` says so or the server ends the stream.
 * `onOpen`: the response has begun, so the server's stream is set up.
 */
export async function readSse(
  url: string,
  options: { headers?: Record<string, string>; stop?: (message: SseMessage, all: SseMessage[]) => boolean; onOpen?: () => void } = {},
): Promise<{ messages: SseMessage[]; status: number }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...options.headers }, signal: controller.signal });
  options.onOpen?.();
  const messages: SseMessage[] = [];
  if (!response.ok || !response.body) return { messages, status: response.status };
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const message = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (!message) continue;
        messages.push(message);
        if (options.stop?.(message, messages)) {
          controller.abort();
          return { messages, status: response.status };
        }
      }
    }
  } catch (error) {
    if ((error as Error).name !== "AbortError") throw error;
  }
  return { messages, status: response.status };
}

/** The messages of a whole event-stream text. */
export function parseSse(text: string): SseMessage[] {
  return text.split("\n\n").flatMap((block) => parseBlock(block) ?? []);
}

/** One event (the text between two blank lines); undefined for a comment or nothing. */
function parseBlock(block: string): SseMessage | undefined {
  const message: SseMessage = { event: "message", id: undefined, data: "" };
  let hasField = false;
  for (const line of block.split("\n")) {
    if (line.startsWith(":") || line === "") continue;
    const [field, ...rest] = line.split(":");
    const value = rest.join(":").replace(/^ /, "");
    hasField = true;
    if (field === "event") message.event = value;
    else if (field === "id") message.id = value;
    else if (field === "data") message.data += (message.data ? "\n" : "") + value;
  }
  return hasField ? message : undefined;
}

/** The `data.n` of every status version a run stream delivered, in order. */
export function statusVersions(messages: SseMessage[]): number[] {
  return messages
    .filter((m) => m.event === "journal")
    .map((m) => JSON.parse(m.data) as { status?: { data: { n: number } } })
    .filter((m) => m.status)
    .map((m) => m.status!.data.n);
}
