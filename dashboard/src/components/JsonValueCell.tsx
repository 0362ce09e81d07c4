import type { JsonValue } from "durably/react";
import { describeInline } from "../lib/inline-object.ts";
import { JsonTree } from "./JsonTree.tsx";

/** Characters of a string shown in a dense (inline) cell; the rest is on hover. */
const INLINE_TEXT = 120;

/**
 * A value in a table cell: plain text for scalars; objects and arrays as a tree opened one
 * level, or (`inline`, for dense history tables) as one line with the whole value on hover.
 */
export function JsonValueCell({ value, inline = false }: { value: JsonValue | undefined; inline?: boolean }) {
  if (value === undefined) return <span className="muted">—</span>;
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === "string") {
    if (inline && value.length > INLINE_TEXT) {
      return (
        <span className="cell-text" title={value}>
          {value.slice(0, INLINE_TEXT - 1)}…
        </span>
      );
    }
    return <span className="cell-text">{value}</span>;
  }
  if (typeof value !== "object") return <span className={`json-${typeof value}`}>{String(value)}</span>;
  if (inline) {
    return (
      <span className="small cell-text" title={JSON.stringify(value, null, 2)}>
        {describeInline(value)}
      </span>
    );
  }
  return <JsonTree value={value} openDepth={1} />;
}
