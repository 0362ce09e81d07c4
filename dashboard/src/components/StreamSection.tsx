import type { ReactNode } from "react";
import type { JsonValue } from "durably/react";
import { JsonValueCell } from "./JsonValueCell.tsx";

/**
 * One stream of a run, as its chunks so far: a stream of text chunks reads as the text they make
 * (an LLM's tokens, log lines), any other as one row per chunk.
 */
export function StreamSection({ streamKey, parts, actions }: { streamKey: string; parts: JsonValue[]; actions?: ReactNode }) {
  return (
    <section className="run-stream" data-testid={`run-stream-${streamKey}`}>
      <h3 className="mono">
        {streamKey} <span className="muted small">{parts.length} chunks</span> {actions}
      </h3>
      <StreamParts parts={parts} />
    </section>
  );
}

function StreamParts({ parts }: { parts: JsonValue[] }) {
  if (parts.length === 0) return <p className="muted">No chunks yet.</p>;
  if (parts.every((part) => typeof part === "string")) {
    return <pre className="stream-text" data-testid="stream-text">{parts.join("")}</pre>;
  }
  return (
    <div className="table-wrap stream-rows">
      <table className="table compact" data-testid="stream-rows">
        <tbody>
          {parts.map((part, i) => (
            <tr key={i}>
              <td className="mono small muted">{i + 1}</td>
              <td>
                <JsonValueCell value={part} inline />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
