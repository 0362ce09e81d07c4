import { useRealtimeRunWithStreams, type JsonValue } from "durably/react";
import { Card } from "./Card.tsx";
import { JsonValueCell } from "./JsonValueCell.tsx";

/**
 * Every stream the run writes (`streams.append` / `pipe`), live: a stream of text chunks reads as
 * the text they make (an LLM's tokens, log lines), any other as one row per chunk.
 */
export function RunStreams({ runId }: { runId: string }) {
  const { streams } = useRealtimeRunWithStreams(runId);
  const entries = Object.entries(streams);
  if (entries.length === 0) return null;
  return (
    <Card title="Streams" testId="run-streams">
      {entries.map(([key, parts]) => (
        <section key={key} className="run-stream" data-testid={`run-stream-${key}`}>
          <h3 className="mono">
            {key} <span className="muted small">{parts?.length ?? 0} chunks</span>
          </h3>
          <StreamParts parts={parts ?? []} />
        </section>
      ))}
    </Card>
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
