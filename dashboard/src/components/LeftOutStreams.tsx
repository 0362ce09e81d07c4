import { useState } from "react";
import { useRealtimeStream } from "durably/react";
import { StreamSection } from "./StreamSection.tsx";

/**
 * The run's streams its connection left out (it carries the first 32 found, `stream-limit`): how
 * many, and each the engine named (the first 100) by key, opened on demand. An opened one comes
 * on the same connection, which names it beside the others (`useRealtimeStream`).
 */
export function LeftOutStreams({ runId, count, keys }: { runId: string; count: number; keys: string[] }) {
  const [opened, setOpened] = useState<string[]>([]);
  const closed = keys.filter((key) => !opened.includes(key));
  return (
    <div className="run-streams-left-out" data-testid="run-streams-left-out">
      <p className="muted" data-testid="streams-left-out-count">
        {count} more {count === 1 ? "stream" : "streams"} not shown: the page follows the first 32 a run writes. Open one to follow it too.
        {keys.length < count && ` The engine names the first ${keys.length} of them.`}
      </p>
      {closed.length > 0 && (
        <div className="chips">
          {closed.map((key) => (
            <button key={key} type="button" className="chip mono" data-testid={`open-stream-${key}`} onClick={() => setOpened([...opened, key])}>
              {key}
            </button>
          ))}
        </div>
      )}
      {opened.map((key) => (
        <OpenedStream key={key} runId={runId} streamKey={key} onClose={() => setOpened(opened.filter((k) => k !== key))} />
      ))}
    </div>
  );
}

function OpenedStream({ runId, streamKey, onClose }: { runId: string; streamKey: string; onClose: () => void }) {
  const { parts, error } = useRealtimeStream(runId, streamKey);
  return (
    <>
      <StreamSection
        streamKey={streamKey}
        parts={parts}
        actions={
          <button type="button" className="button-link small" data-testid={`close-stream-${streamKey}`} onClick={onClose}>
            close
          </button>
        }
      />
      {error && <p className="error-message">{error.message}</p>}
    </>
  );
}
