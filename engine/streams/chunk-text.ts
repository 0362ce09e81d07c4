import { InvalidPayloadError, StreamChunkTooLargeError } from "../../sdk/errors.ts";

/** The chunk as the JSON text stored and sent to readers, refused over `maxBytes`. */
export function chunkText(key: string, chunk: unknown, maxBytes: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(chunk);
  } catch (error) {
    throw new InvalidPayloadError(`A chunk appended to stream "${key}" is not JSON: ${(error as Error).message}`, undefined, { cause: error });
  }
  if (text === undefined) throw new InvalidPayloadError(`A chunk appended to stream "${key}" is not JSON (got ${typeof chunk})`);
  // JSON text is at least as many bytes as characters: only a long one needs counting.
  if (text.length * 3 > maxBytes) {
    const size = Buffer.byteLength(text);
    if (size > maxBytes) throw new StreamChunkTooLargeError(key, size, maxBytes);
  }
  return text;
}
