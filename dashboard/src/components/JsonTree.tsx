import { useState } from "react";
import type { JsonValue } from "durably/react";
import { isPlainObject } from "../lib/json.ts";

/** Formatted JSON whose objects and arrays fold open and shut. */
export function JsonTree({ value, openDepth = 2 }: { value: JsonValue | undefined; openDepth?: number }) {
  if (value === undefined) return <span className="muted">—</span>;
  return (
    <div className="json">
      <JsonNode value={value} depth={0} openDepth={openDepth} last />
    </div>
  );
}

interface NodeProps {
  name?: string;
  value: JsonValue;
  depth: number;
  openDepth: number;
  last: boolean;
}

function JsonNode({ name, value, depth, openDepth, last }: NodeProps) {
  const [open, setOpen] = useState(depth < openDepth);
  const label = name !== undefined && <span className="json-key">{JSON.stringify(name)}: </span>;
  const comma = last ? "" : ",";

  if (!Array.isArray(value) && !isPlainObject(value)) {
    return (
      <div className="json-line">
        {label}
        <span className={`json-${value === null ? "null" : typeof value}`}>{JSON.stringify(value)}</span>
        {comma}
      </div>
    );
  }

  const isArray = Array.isArray(value);
  const entries: [string | undefined, JsonValue][] = isArray
    ? value.map((item) => [undefined, item])
    : Object.entries(value);
  const [openChar, closeChar] = isArray ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) {
    return (
      <div className="json-line">
        {label}
        {openChar}
        {closeChar}
        {comma}
      </div>
    );
  }

  const toggle = () => setOpen((o) => !o);
  const count = `${entries.length} ${isArray ? (entries.length === 1 ? "item" : "items") : entries.length === 1 ? "key" : "keys"}`;
  return (
    <div className="json-node">
      <div className="json-line">
        <button type="button" className="json-toggle" onClick={toggle} aria-expanded={open} aria-label={open ? "Fold" : "Unfold"}>
          {open ? "▾" : "▸"}
        </button>
        {label}
        {openChar}
        {!open && (
          <>
            <button type="button" className="json-summary" onClick={toggle}>
              {count}
            </button>
            {closeChar}
            {comma}
          </>
        )}
      </div>
      {open && (
        <>
          <div className="json-children">
            {entries.map(([key, child], index) => (
              <JsonNode
                key={key ?? index}
                name={key}
                value={child}
                depth={depth + 1}
                openDepth={openDepth}
                last={index === entries.length - 1}
              />
            ))}
          </div>
          <div className="json-line">
            {closeChar}
            {comma}
          </div>
        </>
      )}
    </div>
  );
}
