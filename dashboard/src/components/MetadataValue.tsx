import { useState } from "react";
import type { JsonValue } from "durably/react";
import { isPlainObject } from "../lib/json.ts";
import { JsonValueCell } from "./JsonValueCell.tsx";
import { ProgressBar } from "./ProgressBar.tsx";

/** Past this many characters of JSON a value starts collapsed: a 4 KB value printed whole took the page over. */
const LONG = 400;
const PREVIEW = 160;

const fraction = (value: JsonValue | undefined): number | undefined =>
  typeof value === "number" && value >= 0 && value <= 1 ? value : undefined;

/**
 * A value in a key/value table: a `progress` of 0..1 (the value itself, or a field of an object
 * value) as a bar; a long value collapsed to its start, with "show all".
 */
export function MetadataValue({ name, value }: { name: string; value: JsonValue }) {
  const [open, setOpen] = useState(false);
  const own = name === "progress" ? fraction(value) : undefined;
  if (own !== undefined) return <ProgressBar value={own} />;
  const nested = isPlainObject(value) ? fraction(value.progress) : undefined;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const long = text.length > LONG;
  return (
    <div className="metadata-value">
      {nested !== undefined && <ProgressBar value={nested} />}
      {long && !open ? (
        <div className="collapsed-value" data-testid={`collapsed-${name}`}>
          <span className="mono small cell-text">{text.slice(0, PREVIEW)}…</span>
          <button type="button" className="button-link small" onClick={() => setOpen(true)} data-testid={`show-all-${name}`}>
            show all ({text.length.toLocaleString()} characters)
          </button>
        </div>
      ) : (
        <>
          <JsonValueCell value={value} />
          {long && (
            <button type="button" className="button-link small" onClick={() => setOpen(false)}>
              show less
            </button>
          )}
        </>
      )}
    </div>
  );
}
