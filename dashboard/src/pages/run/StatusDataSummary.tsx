import type { JsonObject } from "durably/react";
import { formatInline } from "../../lib/format.ts";

/** A status version's data in one line: progress as a percentage, urls as a count, the rest as key: value. */
export function StatusDataSummary({ data }: { data: JsonObject | null | undefined }) {
  if (!data || Object.keys(data).length === 0) return <span className="muted">—</span>;
  const parts = Object.entries(data).map(([key, value]) => {
    if (key === "progress" && typeof value === "number") return `${Math.round(value * 100)}%`;
    if (key === "urls" && Array.isArray(value)) return `${value.length} image${value.length === 1 ? "" : "s"}`;
    return `${key}: ${formatInline(value, 40)}`;
  });
  return (
    <span className="small" title={JSON.stringify(data, null, 2)}>
      {parts.join(" · ")}
    </span>
  );
}
