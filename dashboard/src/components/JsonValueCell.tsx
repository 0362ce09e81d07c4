import type { JsonValue } from "durably/react";
import { JsonTree } from "./JsonTree.tsx";

/** A value in a table cell: plain text for scalars, a folded tree for objects and arrays. */
export function JsonValueCell({ value }: { value: JsonValue | undefined }) {
  if (value === undefined) return <span className="muted">—</span>;
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === "string") return <span className="cell-text">{value}</span>;
  if (typeof value !== "object") return <span className={`json-${typeof value}`}>{String(value)}</span>;
  return <JsonTree value={value} openDepth={0} />;
}
