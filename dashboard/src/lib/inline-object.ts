import type { JsonValue } from "durably/react";
import { formatInline } from "./format.ts";
import { isPlainObject } from "./json.ts";

/** An object as `key: value · key: value` for a one-line table cell; other values as compact JSON. */
export function describeInline(value: JsonValue, max = 90): string {
  if (!isPlainObject(value)) return formatInline(value, max);
  const text = Object.entries(value)
    .map(([key, item]) => `${key}: ${formatInline(item, 40)}`)
    .join(" · ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text || "{}";
}
