import type { JsonValue } from "durably/react";

export type JsonParseResult = { ok: true; value: JsonValue } | { ok: false; message: string };

/** Parses user-typed JSON, describing the error with a line and column when the parser reports a position. */
export function parseJsonInput(text: string): JsonParseResult {
  if (text.trim() === "") return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    if (!position) return { ok: false, message };
    const offset = Number(position[1]);
    const before = text.slice(0, offset).split("\n");
    const line = before.length;
    const column = (before.at(-1)?.length ?? 0) + 1;
    const withoutPosition = message.replace(/\s*at position \d+.*$/, "");
    return { ok: false, message: `${withoutPosition} (line ${line}, column ${column})` };
  }
}

export function isPlainObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
